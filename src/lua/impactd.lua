#!lua name=impactd
--
-- impactd's Redis function library (Redis >= 7: FUNCTION LOAD / FCALL).
-- Functions rather than EVALSHA scripts because they survive restarts and
-- replicate, so a failover never leaves a pipeline full of NOSCRIPT errors.
--
-- Every function touches only keys of one hash tag, passed in KEYS, so the
-- library runs unchanged on Redis Cluster:
--   per incident  <p>:{<incident>}        aggregates (hash)
--                 <p>:{<incident>}:seen   event ids applied (set)
--                 <p>:{<incident>}:alerts service -> latest alert facts (hash)
--                 <p>:{<incident>}:accts  account -> "tier|arr|strategic" (hash)
--                 <p>:{<incident>}:tix    ticket id -> status (hash)
--                 <p>:{<incident>}:segs   "kind\31value" -> tickets (hash)
--                 <p>:{<incident>}:tpm    minute -> tickets (hash, for trend)
--                 <p>:{<incident>}:esc    escalation id -> level (hash)
--   per service   <p>:svc:{<service>}     open incident id (string)
--                 <p>:svc:{<service>}:held  events waiting for an incident (list)
--                 <p>:svc:{<service>}:ev    alert event id -> incident (hash)
--   per ticket    <p>:tkt:{<ticket>}      incident id (string)
--                 <p>:tkt:{<ticket>}:held   sentiment waiting for the ticket (list)

local US = '\31' -- field separator inside packed values

local function split(s)
    local out = {}
    for part in string.gmatch(s .. US, '([^' .. US .. ']*)' .. US) do
        out[#out + 1] = part
    end
    return out
end

local function num(s, default)
    if s == nil or s == '' then return default end
    return tonumber(s) or default
end

-- Doubles leave Lua as strings: Redis truncates Lua numbers to integers.
local function fmt(x)
    return string.format('%.17g', x)
end

-- route: the open incident of a service or ticket, creating it for a firing
-- alert.  KEYS[1] = id key, KEYS[2] = held list, KEYS[3] = alert event id
-- -> incident (hash).  ARGV[1] = candidate id ('' = look up only),
-- ARGV[2] = ttl seconds, ARGV[3..] = "F:<event id>" / "R:<event id>" of the
-- batch's unkeyed alerts for this service, "K:<event id>" of firing alerts
-- that name their incident (they may open the service's mapping, but
-- their incident is theirs: nothing to remember).
--
-- Alerts are remembered per service so that a replayed alert goes back to
-- the incident it was first applied to (whose seen-set absorbs it) rather
-- than reopening a resolved incident or opening a phantom one.
-- Returns {incident id or false, n, incident of each alert ('' = new),
-- held events...}.  Held events are returned, not removed: the caller
-- acknowledges them with `unhold` once applied, so a crash in between
-- loses nothing (the incident's seen-set absorbs the replay).
local function route(keys, args)
    local id = redis.call('GET', keys[1])
    local ttl = tonumber(args[2])
    local known, fresh_firing = {}, false
    for i = 3, #args do
        local kind = string.sub(args[i], 1, 1)
        if kind == 'K' then
            known[i] = ''
            fresh_firing = true
        else
            known[i] = redis.call('HGET', keys[3], string.sub(args[i], 3)) or ''
            if known[i] == '' and kind == 'F' then fresh_firing = true end
        end
    end
    if not id and args[1] ~= '' and fresh_firing then
        id = args[1]
        redis.call('SET', keys[1], id, 'EX', ttl)
    end
    local out = {id or false, #args - 2}
    for i = 3, #args do
        if known[i] == '' and id and string.sub(args[i], 1, 1) ~= 'K' then
            redis.call('HSET', keys[3], string.sub(args[i], 3), id)
        end
        out[#out + 1] = known[i]
    end
    if #args > 2 and id then redis.call('EXPIRE', keys[3], ttl) end
    if id then
        for _, v in ipairs(redis.call('LRANGE', keys[2], 0, -1)) do
            out[#out + 1] = v
        end
    end
    return out
end

-- hold: keep events that match no incident yet.  Re-checks the id key in
-- the same atomic step, so an incident opened meanwhile by another worker
-- is never missed.  KEYS as route; ARGV[1] = ttl, ARGV[2..] = events.
-- Returns the incident id when one exists now (nothing held), else false.
local function hold(keys, args)
    local id = redis.call('GET', keys[1])
    if id then return id end
    for i = 2, #args do
        redis.call('RPUSH', keys[2], args[i])
    end
    redis.call('EXPIRE', keys[2], tonumber(args[1]))
    return false
end

-- unhold: remove held events that have been applied.  KEYS[1] = held list.
local function unhold(keys, args)
    local n = 0
    for i = 1, #args do
        n = n + redis.call('LREM', keys[1], 1, args[i])
    end
    return n
end

-- bind: map a ticket to its incident (sentiment naming the ticket joins it)
-- and hand back the sentiment held for that ticket.  KEYS as route;
-- ARGV[1] = incident id, ARGV[2] = ttl.
local function bind(keys, args)
    redis.call('SET', keys[1], args[1], 'EX', tonumber(args[2]))
    local out = {args[1], 0}
    for _, v in ipairs(redis.call('LRANGE', keys[2], 0, -1)) do
        out[#out + 1] = v
    end
    return out
end

-- close: forget a service's open incident, only if it is still `id`.
local function close(keys, args)
    if redis.call('GET', keys[1]) == args[1] then
        return redis.call('DEL', keys[1])
    end
    return 0
end

-------------------------------------------------------------------------------
-- apply: fold a batch of one incident's events into its aggregates.
--
-- KEYS: 1 agg, 2 seen, 3 alerts, 4 accts, 5 tix, 6 segs, 7 tpm, 8 esc
-- ARGV: 1 ttl seconds, 2 trend window minutes, 3 incident id, then events:
--   A, event_id, service, status(F|R), disruption(0..2|''), severity, users,
--      burn, revenue_loss, occurred_at                           (10 fields)
--   T, event_id, ticket_id, account, tier(1..4|''), arr, strategic(0|1|''),
--      region, version, platform, feature, status(O|R|S), personal(0|1),
--      occurred_at                                               (14 fields)
--   S, event_id, account, score, negative(0|1), occurred_at      (6 fields)
-- '' means absent.
-------------------------------------------------------------------------------

local function hincr(key, field, by)
    return redis.call('HINCRBY', key, field, by)
end

local function touch_time(st, t)
    if st.detected_at == nil or t < st.detected_at then st.detected_at = t end
    if st.last_event_at == nil or t > st.last_event_at then st.last_event_at = t end
end

local function apply_alert(K, st, a, i)
    local service, status = a[i + 2], a[i + 3]
    local prev = redis.call('HGET', K[3], service)
    -- fields: firing, disruption, users, burn, revenue_loss
    local f = prev and split(prev) or {'0', '', '', '', ''}
    f[1] = (status == 'F') and '1' or '0'
    if a[i + 4] ~= '' then f[2] = a[i + 4] end
    if a[i + 6] ~= '' then f[3] = a[i + 6] end
    if a[i + 7] ~= '' then f[4] = a[i + 7] end
    if a[i + 8] ~= '' then f[5] = a[i + 8] end
    redis.call('HSET', K[3], service, table.concat(f, US))
    if not st.root_service then
        st.root_service = service
        redis.call('HSET', K[1], 'root_service', service)
    end
    local t = tonumber(a[i + 9])
    if a[i + 5] ~= '' then
        redis.call('HSET', K[1], 'declared_severity', a[i + 5])
        if not redis.call('HGET', K[1], 'triaged_at') then
            redis.call('HSET', K[1], 'triaged_at', t)
        end
    end
    if status == 'F' then
        if st.status == 'RESOLVED' then
            st.status = 'OPEN'
            redis.call('HSET', K[1], 'status', 'OPEN')
            redis.call('HDEL', K[1], 'resolved_at')
        end
    else
        st.resolve_at = t
    end
end

local function apply_ticket(K, st, a, i, bucket_ms)
    local tid, acct = a[i + 2], a[i + 3]
    local tier, arr, strategic = a[i + 4], a[i + 5], a[i + 6]
    local status = a[i + 11]
    local t = tonumber(a[i + 13])
    -- Accounts count once however many tickets they file; an explicit ARR
    -- on a later ticket replaces the account's earlier figure.
    local prev = redis.call('HGET', K[4], acct)
    local f = prev and split(prev) or {'', '0', '0'}
    if not prev then hincr(K[1], 'affected_accounts', 1) end
    local old_arr = num(f[2], 0)
    if tier ~= '' and num(tier, 0) > num(f[1], 0) then f[1] = tier end
    if arr ~= '' then f[2] = arr end
    if strategic == '1' then f[3] = '1' end
    local new_arr = num(f[2], 0)
    if new_arr ~= old_arr or not prev then
        redis.call('HINCRBYFLOAT', K[1], 'arr_at_risk', new_arr - old_arr)
    end
    redis.call('HSET', K[4], acct, table.concat(f, US))
    if num(f[1], 0) > num(redis.call('HGET', K[1], 'max_tier'), 0) then
        redis.call('HSET', K[1], 'max_tier', f[1])
    end
    if f[3] == '1' then redis.call('HSET', K[1], 'strategic', 1) end
    if a[i + 12] == '1' then redis.call('HSET', K[1], 'personal_data', 1) end

    local old = redis.call('HGET', K[5], tid)
    local was_open = old == 'O' or old == 'R'
    local is_open = status == 'O' or status == 'R'
    if not old then
        hincr(K[1], 'tickets_total', 1)
        st.new_tickets[#st.new_tickets + 1] = tid
        local kinds = {'region', 'product_version', 'platform', 'feature'}
        for k = 1, 4 do
            local v = a[i + 6 + k]
            if v ~= '' then hincr(K[6], kinds[k] .. US .. v, 1) end
        end
        hincr(K[7], math.floor(t / bucket_ms), 1)
    end
    if is_open and not was_open then hincr(K[1], 'tickets_open', 1) end
    if was_open and not is_open then hincr(K[1], 'tickets_open', -1) end
    redis.call('HSET', K[5], tid, status)
end

local function apply_sentiment(K, a, i)
    hincr(K[1], 'sentiment_count', 1)
    if a[i + 4] == '1' then hincr(K[1], 'sentiment_negative', 1) end
    redis.call('HINCRBYFLOAT', K[1], 'sentiment_sum', a[i + 3])
end

-- The incident's current facts, in the order redis_state.c reads them.
local function summarize(K, st, window)
    local h = redis.call('HGETALL', K[1])
    local agg = {}
    for j = 1, #h, 2 do agg[h[j]] = h[j + 1] end

    local users, disruption, burn, loss, firing = -1, -1, -1, -1, 0
    local services = {}
    local alerts = redis.call('HGETALL', K[3])
    for j = 1, #alerts, 2 do
        services[#services + 1] = alerts[j]
        local f = split(alerts[j + 1])
        if f[1] == '1' then firing = firing + 1 end
        -- Alerts of one incident describe overlapping user bases and the
        -- same lost sales: take the worst report, never the sum.
        users = math.max(users, num(f[3], -1))
        -- An alert that never named its disruption counts as DEGRADED.
        disruption = math.max(disruption, num(f[2], 1))
        burn = math.max(burn, num(f[4], -1))
        loss = math.max(loss, num(f[5], -1))
    end

    local last = num(agg.last_event_at, 0)
    local now_b = math.floor(last / 60000)
    local fields = {}
    for b = now_b - 2 * window + 1, now_b do fields[#fields + 1] = tostring(b) end
    local counts = redis.call('HMGET', K[7], unpack(fields))
    local prev_n, now_n = 0, 0
    for j = 1, #counts do
        if j <= window then prev_n = prev_n + num(counts[j], 0)
        else now_n = now_n + num(counts[j], 0) end
    end

    local segs = redis.call('HGETALL', K[6])
    local out = {
        agg.revision or '0', agg.status or 'OPEN', agg.root_service or '',
        agg.detected_at or '0', agg.last_event_at or '0',
        agg.resolved_at or '0', agg.triaged_at or '0',
        agg.declared_severity or '0',
        fmt(users), fmt(disruption), fmt(burn), fmt(loss),
        agg.affected_accounts or '0', agg.arr_at_risk or '0',
        agg.max_tier or '0', agg.strategic or '0',
        agg.tickets_total or '0', agg.tickets_open or '0',
        agg.personal_data or '0',
        agg.sentiment_count or '0', agg.sentiment_negative or '0',
        agg.sentiment_sum or '0',
        tostring(now_n), tostring(prev_n),
        agg.max_escalated or '6',
        st.changed and '1' or '0', tostring(st.dups),
        st.resolved_now and '1' or '0',
        tostring(#services), tostring(#segs / 2), tostring(#st.new_tickets),
    }
    for _, s in ipairs(services) do out[#out + 1] = s end
    for j = 1, #segs do out[#out + 1] = segs[j] end
    for _, t in ipairs(st.new_tickets) do out[#out + 1] = t end
    return out
end

local function apply(keys, args)
    local ttl, window = tonumber(args[1]), tonumber(args[2])
    local st = {changed = false, dups = 0, new_tickets = {}}
    st.status = redis.call('HGET', keys[1], 'status') or 'OPEN'
    st.root_service = redis.call('HGET', keys[1], 'root_service')
    st.detected_at = tonumber(redis.call('HGET', keys[1], 'detected_at'))
    st.last_event_at = tonumber(redis.call('HGET', keys[1], 'last_event_at'))
    local was_status = st.status
    local arity = {A = 10, T = 14, S = 6}

    local i = 4
    while i <= #args do
        local kind = args[i]
        local n = arity[kind]
        if n == nil then return redis.error_reply('bad event kind ' .. kind) end
        if redis.call('SADD', keys[2], args[i + 1]) == 1 then
            st.changed = true
            touch_time(st, tonumber(args[i + n - 1]))
            if kind == 'A' then apply_alert(keys, st, args, i)
            elseif kind == 'T' then apply_ticket(keys, st, args, i, 60000)
            else apply_sentiment(keys, args, i) end
        else
            st.dups = st.dups + 1
        end
        i = i + n
    end

    if st.changed then
        -- An incident resolves when no service of it is firing any more.
        if st.resolve_at and st.status == 'OPEN' then
            local any_firing = false
            for _, v in ipairs(redis.call('HVALS', keys[3])) do
                if string.sub(v, 1, 1) == '1' then any_firing = true break end
            end
            if not any_firing then
                st.status = 'RESOLVED'
                redis.call('HSET', keys[1], 'resolved_at', st.resolve_at)
            end
        end
        st.resolved_now = (st.status == 'RESOLVED' and was_status ~= 'RESOLVED')
        redis.call('HSET', keys[1], 'status', st.status,
                   'incident_id', args[3],
                   'detected_at', st.detected_at,
                   'last_event_at', st.last_event_at)
        hincr(keys[1], 'revision', 1)
        for k = 1, #keys do redis.call('EXPIRE', keys[k], ttl) end
    end
    return summarize(keys, st, window)
end

-- claim: record an escalation exactly once across workers.
-- KEYS[1] agg, KEYS[2] esc; ARGV: escalation id, level, event time.
-- Returns {1, previous level} when this call claimed it, {0, level} when it
-- was claimed before (same id) or a level at least as severe was already
-- escalated.
local function claim(keys, args)
    local id, level = args[1], tonumber(args[2])
    if redis.call('HEXISTS', keys[2], id) == 1 then return {0, level} end
    local prev = tonumber(redis.call('HGET', keys[1], 'max_escalated') or '6')
    if level >= prev then return {0, prev} end
    redis.call('HSET', keys[1], 'max_escalated', level)
    redis.call('HSET', keys[2], id, level)
    if not redis.call('HGET', keys[1], 'triaged_at') then
        redis.call('HSET', keys[1], 'triaged_at', args[3])
    end
    local ttl = redis.call('TTL', keys[1])
    if ttl > 0 then redis.call('EXPIRE', keys[2], ttl) end
    return {1, prev}
end

redis.register_function('impactd_route', route)
redis.register_function('impactd_hold', hold)
redis.register_function('impactd_unhold', unhold)
redis.register_function('impactd_bind', bind)
redis.register_function('impactd_close', close)
redis.register_function('impactd_apply', apply)
redis.register_function('impactd_claim', claim)
