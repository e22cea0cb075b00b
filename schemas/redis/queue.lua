#!lua name=queue

-- Reliable queue: a claimed item is invisible for a visibility timeout; if it is not acked in time it
-- goes back to the head of the queue and is delivered again. Each claim carries a token (its
-- deadline), so a consumer whose claim expired cannot ack an item another consumer now holds.
--
-- Every function takes the same 4 keys: ready (list of ids), claimed (zset id -> deadline ms),
-- items (hash: id -> payload, id..':n' -> deliveries), seq (id counter).

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function requeue(keys, now)
  local expired = redis.call('ZRANGEBYSCORE', keys[2], '-inf', now)
  for _, id in ipairs(expired) do
    redis.call('ZREM', keys[2], id)
    -- Claims pop from the right: an expired item is the next one delivered.
    redis.call('RPUSH', keys[1], id)
  end
  return #expired
end

local function need_keys(keys, name)
  if #keys ~= 4 then
    return redis.error_reply('ERR ' .. name .. ': expects 4 keys (ready, claimed, items, seq)')
  end
end

-- FCALL queue_enqueue 4 <ready> <claimed> <items> <seq> <payload> -> id
local function enqueue(keys, args)
  local bad = need_keys(keys, 'queue_enqueue')
  if bad then return bad end
  if args[1] == nil then return redis.error_reply('ERR queue_enqueue: expects ARGV payload') end
  local id = tostring(redis.call('INCR', keys[4]))
  redis.call('HSET', keys[3], id, args[1])
  redis.call('LPUSH', keys[1], id)
  return id
end

-- FCALL queue_claim 4 ... <visibility_ms> -> nil | { id, payload, token, deliveries }
local function claim(keys, args)
  local bad = need_keys(keys, 'queue_claim')
  if bad then return bad end
  local vis = tonumber(args[1])
  if not vis or vis < 1 or vis % 1 ~= 0 then
    return redis.error_reply('ERR queue_claim: visibility_ms must be a positive integer')
  end
  local now = now_ms()
  requeue(keys, now)
  local id = redis.call('RPOP', keys[1])
  if not id then return nil end
  local deadline = now + vis
  redis.call('ZADD', keys[2], deadline, id)
  local n = redis.call('HINCRBY', keys[3], id .. ':n', 1)
  return { id, redis.call('HGET', keys[3], id), tostring(deadline), n }
end

-- FCALL queue_ack 4 ... <id> <token> -> 1 when this claim was still the current one, else 0
local function ack(keys, args)
  local bad = need_keys(keys, 'queue_ack')
  if bad then return bad end
  local score = redis.call('ZSCORE', keys[2], args[1])
  if not score or tonumber(score) ~= tonumber(args[2]) then return 0 end
  redis.call('ZREM', keys[2], args[1])
  redis.call('HDEL', keys[3], args[1], args[1] .. ':n')
  return 1
end

-- FCALL queue_requeue_expired 4 ... -> number of expired claims put back
local function requeue_expired(keys)
  local bad = need_keys(keys, 'queue_requeue_expired')
  if bad then return bad end
  return requeue(keys, now_ms())
end

-- FCALL_RO queue_depth 4 ... -> { ready, claimed }
local function depth(keys)
  local bad = need_keys(keys, 'queue_depth')
  if bad then return bad end
  return { redis.call('LLEN', keys[1]), redis.call('ZCARD', keys[2]) }
end

redis.register_function('queue_enqueue', enqueue)
redis.register_function('queue_claim', claim)
redis.register_function('queue_ack', ack)
redis.register_function('queue_requeue_expired', requeue_expired)
redis.register_function{ function_name = 'queue_depth', callback = depth, flags = { 'no-writes' } }
