-- Every operation defines main(); registry errors thrown with throw() become
-- plain error replies ("RGCONFLICT …") without Redis's script location suffix.
local ok, res = pcall(main)
if ok then return res end
if type(res) == 'table' and res.rg then return redis.error_reply(res.rg) end
error(res)
