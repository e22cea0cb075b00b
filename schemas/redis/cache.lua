#!lua name=cache

-- Get-or-set caching with TTL jitter (so keys written together do not expire together) and
-- tag-based invalidation broadcast over pub/sub (channel from schemas/redis/channels.ts).

-- FCALL cache_get_or_lock 2 <key> <lock key> <lock_ms>
--   -> { 1, value } on a hit; { 0, 1 } on a miss when the caller got the load lock;
--      { 0, 0 } on a miss while another caller is loading (retry shortly).
local function get_or_lock(keys, args)
  local v = redis.call('GET', keys[1])
  if v then return { 1, v } end
  local lock_ms = tonumber(args[1])
  if not lock_ms or lock_ms < 1 then
    return redis.error_reply('ERR cache_get_or_lock: expects 2 keys (key, lock) and ARGV lock_ms > 0')
  end
  if redis.call('SET', keys[2], '1', 'NX', 'PX', lock_ms) then return { 0, 1 } end
  return { 0, 0 }
end

-- FCALL cache_set 2+T <key> <lock key> <tag set>... <value> <ttl_ms> <jitter_ms> -> applied ttl ms
local function set(keys, args)
  local ttl = tonumber(args[2])
  local jitter = tonumber(args[3] or '0')
  if #keys < 2 or args[1] == nil or not ttl or ttl < 1 or not jitter or jitter < 0 then
    return redis.error_reply('ERR cache_set: expects keys (key, lock, tag sets...) and ARGV value, ttl_ms > 0, jitter_ms >= 0')
  end
  local extra = 0
  if jitter > 0 then extra = tonumber(redis.call('TIME')[2]) % (math.floor(jitter) + 1) end
  local effective = math.floor(ttl + extra)
  redis.call('SET', keys[1], args[1], 'PX', effective)
  redis.call('DEL', keys[2])
  for i = 3, #keys do
    redis.call('SADD', keys[i], keys[1])
    -- A tag set lives as long as its longest-lived member, so it never outlives its use by much.
    local pttl = redis.call('PTTL', keys[i])
    if pttl < effective then redis.call('PEXPIRE', keys[i], effective) end
  end
  return effective
end

-- cjson encodes an empty table as {}, so build the arrays ourselves.
local function json_array(list)
  local parts = {}
  for i, s in ipairs(list) do parts[i] = cjson.encode(s) end
  return '[' .. table.concat(parts, ',') .. ']'
end

-- FCALL cache_invalidate_tags T <tag set>... <channel> <tag name>... -> number of keys deleted
-- Publishes {"tags":[...],"keys":[...]} so in-process caches drop their copies too.
local function invalidate_tags(keys, args)
  local channel = args[1]
  if #keys < 1 or not channel then
    return redis.error_reply('ERR cache_invalidate_tags: expects tag set keys and ARGV channel, tag names')
  end
  local dropped = {}
  for _, tag in ipairs(keys) do
    for _, k in ipairs(redis.call('SMEMBERS', tag)) do
      if redis.call('DEL', k) == 1 then table.insert(dropped, k) end
    end
    redis.call('DEL', tag)
  end
  local names = {}
  for i = 2, #args do table.insert(names, args[i]) end
  redis.call('PUBLISH', channel, '{"tags":' .. json_array(names) .. ',"keys":' .. json_array(dropped) .. '}')
  return #dropped
end

redis.register_function('cache_get_or_lock', get_or_lock)
redis.register_function('cache_set', set)
redis.register_function('cache_invalidate_tags', invalidate_tags)
