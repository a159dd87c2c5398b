-- expire_due: expire up to ARGV[3] requests whose time has passed; answers
-- {expired, examined}.
local function main()
  local n, seen = expire_due(tonumber(ARGV[3]))
  return {n, seen}
end
