#!lua name=ratelimit

-- Sliding-window log limiter. Exact: over any window of `window_ms` ending at a decision, no more
-- than `limit` requests are admitted (a fixed window or GCRA can admit up to twice that at a boundary).
-- Each key is one sorted set of admitted request times; memory is O(limit) per key.
--
-- FCALL ratelimit_check 1 <key> <limit> <window_ms>
--   -> { allowed (1|0), remaining, retry_after_ms (0 when allowed), server_time_ms (string, µs precision) }
local function check(keys, args)
  local key = keys[1]
  local limit = tonumber(args[1])
  local window = tonumber(args[2])
  if not key or not limit or limit < 1 or limit % 1 ~= 0 or not window or window < 1 or window % 1 ~= 0 then
    return redis.error_reply('ERR ratelimit_check: expects 1 key and ARGV limit, window_ms (positive integers)')
  end
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  local stamp = string.format('%.3f', now)
  if count < limit then
    -- Two calls in the same microsecond see different counts, so members stay unique.
    redis.call('ZADD', key, now, t[1] .. '.' .. t[2] .. ':' .. count)
    redis.call('PEXPIRE', key, window)
    return { 1, limit - count - 1, 0, stamp }
  end
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  local retry = math.ceil(tonumber(oldest[2]) + window - now)
  if retry < 1 then retry = 1 end
  return { 0, 0, retry, stamp }
end

redis.register_function('ratelimit_check', check)
