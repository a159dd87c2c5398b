-- Every operation defines main(); registry errors thrown with throw() become
-- plain error replies ("RGCONFLICT …") without Redis's script location suffix.
-- A result is answered as {result, AUDIT_HEAD} (see prelude.lua); false
-- stands for a nil result, which would end the Lua array.
local ok, res = pcall(main)
if ok then
  if res == nil then res = false end
  return {res, AUDIT_HEAD}
end
if type(res) == 'table' and res.rg then return redis.error_reply(res.rg) end
error(res)
