-- sha256hex returns the lower-case hex SHA-256 of a byte string. Redis's Lua
-- has no SHA-256 (only redis.sha1hex), and the audit chain must be computed
-- inside the same atomic script that appends the entry, so it is implemented
-- here with the LuaBitOp library Redis embeds (FIPS 180-4, section 6.2). Sums
-- are exact in Lua's doubles (below 2^36) and bit.tobit reduces them mod 2^32.
-- Redis embeds LuaBitOp as the global `bit`. An embedded Redis without it
-- (the demo's in-process miniredis) gets this arithmetic stand-in, which
-- works on unsigned 32-bit values; SHA-256 only needs the results mod 2^32.
local bit = rawget(_G, 'bit') or (function()
  local M, T = {}, {}
  local function nibbles(f)
    local t = {}
    for x = 0, 15 do
      t[x] = {}
      for y = 0, 15 do
        local r, p, a, b = 0, 1, x, y
        for _ = 1, 4 do
          if f(a % 2, b % 2) then r = r + p end
          a, b, p = math.floor(a / 2), math.floor(b / 2), p * 2
        end
        t[x][y] = r
      end
    end
    return t
  end
  T.band = nibbles(function(a, b) return a == 1 and b == 1 end)
  T.bor = nibbles(function(a, b) return a == 1 or b == 1 end)
  T.bxor = nibbles(function(a, b) return a ~= b end)
  local function op2(t, a, b)
    a, b = a % 4294967296, b % 4294967296
    local r, p = 0, 1
    for _ = 1, 8 do
      local x, y = a % 16, b % 16
      r = r + t[x][y] * p
      a, b, p = (a - x) / 16, (b - y) / 16, p * 16
    end
    return r
  end
  local function fold(t)
    return function(a, ...)
      local r = a
      for i = 1, select('#', ...) do r = op2(t, r, (select(i, ...))) end
      return r % 4294967296
    end
  end
  M.band, M.bor, M.bxor = fold(T.band), fold(T.bor), fold(T.bxor)
  function M.tobit(x) return x % 4294967296 end
  function M.bnot(x) return 4294967295 - x % 4294967296 end
  function M.lshift(x, n) return (x % 4294967296) * 2 ^ n % 4294967296 end
  function M.rshift(x, n) return math.floor((x % 4294967296) / 2 ^ n) end
  function M.ror(x, n)
    x = x % 4294967296
    return M.rshift(x, n) + M.lshift(x, 32 - n)
  end
  function M.tohex(x, n) return string.format('%0' .. n .. 'x', x % 4294967296) end
  return M
end)()
local bit_band, bit_bor, bit_bxor, bit_bnot = bit.band, bit.bor, bit.bxor, bit.bnot
local bit_lshift, bit_rshift, bit_ror = bit.lshift, bit.rshift, bit.ror
local bit_tobit, bit_tohex = bit.tobit, bit.tohex

local SHA256_K = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
}

-- sha256_pad appends the 0x80 byte, zeros and the 64-bit big-endian bit length.
local function sha256_pad(msg)
  local len = #msg
  local bits = len * 8
  local hi, lo = math.floor(bits / 4294967296), bits % 4294967296
  local tail = {}
  for shift = 24, 0, -8 do tail[#tail + 1] = bit_band(bit_rshift(hi, shift), 255) end
  for shift = 24, 0, -8 do tail[#tail + 1] = bit_band(bit_rshift(lo, shift), 255) end
  return msg .. '\128' .. string.rep('\0', (55 - len) % 64) .. string.char(unpack(tail))
end

-- sha256_block runs the compression function over the 64 bytes at offset i.
local function sha256_block(msg, i, H, w)
  for j = 0, 15 do
    local b1, b2, b3, b4 = string.byte(msg, i + j * 4, i + j * 4 + 3)
    w[j] = bit_bor(bit_lshift(b1, 24), bit_lshift(b2, 16), bit_lshift(b3, 8), b4)
  end
  for j = 16, 63 do
    local x, y = w[j - 15], w[j - 2]
    local s0 = bit_bxor(bit_ror(x, 7), bit_ror(x, 18), bit_rshift(x, 3))
    local s1 = bit_bxor(bit_ror(y, 17), bit_ror(y, 19), bit_rshift(y, 10))
    w[j] = bit_tobit(w[j - 16] + s0 + w[j - 7] + s1)
  end
  local a, b, c, d, e, f, g, h = H[1], H[2], H[3], H[4], H[5], H[6], H[7], H[8]
  for j = 0, 63 do
    local S1 = bit_bxor(bit_ror(e, 6), bit_ror(e, 11), bit_ror(e, 25))
    local ch = bit_bxor(bit_band(e, f), bit_band(bit_bnot(e), g))
    local t1 = h + S1 + ch + SHA256_K[j + 1] + w[j]
    local S0 = bit_bxor(bit_ror(a, 2), bit_ror(a, 13), bit_ror(a, 22))
    local maj = bit_bxor(bit_band(a, b), bit_band(a, c), bit_band(b, c))
    h, g, f, e, d, c, b, a = g, f, e, bit_tobit(d + t1), c, b, a, bit_tobit(t1 + S0 + maj)
  end
  local out = {a, b, c, d, e, f, g, h}
  for k = 1, 8 do H[k] = bit_tobit(H[k] + out[k]) end
end

local function sha256hex(msg)
  msg = sha256_pad(msg)
  local H = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19}
  local w = {}
  for i = 1, #msg, 64 do sha256_block(msg, i, H, w) end
  local hex = {}
  for k = 1, 8 do hex[k] = bit_tohex(H[k], 8) end
  return table.concat(hex)
end
