#!lua name=impactd
--
-- impactd's Redis function library (Redis >= 7: FUNCTION LOAD / FCALL).
-- Functions rather than EVALSHA scripts because they survive restarts and
-- replicate, so a failover never leaves a pipeline full of NOSCRIPT errors.
--
-- Every function touches only keys of one hash tag, passed in KEYS, so the
-- library runs unchanged on Redis Cluster:
--   per incident  <p>:{<incident>}        aggregates (hash; OLD_NAMES
--                                          below lists its fields)
--                 <p>:{<incident>}:seen   event ids applied (hash of
--                                          empty values)
--                 <p>:{<incident>}:alerts service -> latest alert facts (hash)
--                 <p>:{<incident>}:accts  account -> "tier|arr|strategic|tickets"
--                                          (hash)
--                 <p>:{<incident>}:tix    ticket id -> status (hash)
--                 <p>:{<incident>}:segs   kind letter and value -> tickets
--                                          (hash; SEGMENT_KINDS)
--                 <p>:{<incident>}:esc    output id, less its leading
--                                          "<incident>:", a notification's
--                                          kind and audience one letter
--                                          each -> the revision that
--                                          decided it (hash)
--                 <p>:{<incident>}:outbox output id -> topic char + bytes,
--                                          until Kafka acknowledged it
--                 <p>:{<incident>}:imp    blast radius: impacted services
--                                          (hash of empty values)
--                 <p>:{<incident>}:spm    per minute m: sentiment count
--                                          c<m>, negatives n<m>, sum s<m>,
--                                          and tickets t<m> (for the trend)
--                 <p>:{<incident>}:unbound ticket -> revision that added it,
--                                          until that revision is done
--                 <p>:{<incident>}:kaccts the key accounts (ENTERPRISE or
--                                          strategic) of :accts, same values
--   global        <p>:deadlines           incident -> next re-score time (zset)
--                 <p>:outbox              incident -> when its outbox is
--                                          orphaned unless emptied (zset)
--   per service   <p>:svc:{<service>}     open incident id (string); kept
--                                          for the reopen window once resolved
--                 <p>:svc:{<service>}:held  events waiting for an incident (list)
--                 <p>:svc:{<service>}:ev    alert event id -> incident (hash)
--   per ticket    <p>:tkt:{<ticket>}      incident id (string)
--                 <p>:tkt:{<ticket>}:held   sentiment waiting for the ticket (list)
--
-- The aggregate hash's '@' names the Kafka cluster the offsets are of,
-- '@<partition>' holds the highest offset applied from that partition.
-- That is layout 3.  An incident an older version stored is brought to it
-- by its next apply (upgrade()), which also empties the keys only layout 1
-- had: :tpm (minute -> tickets) and :offs ('@', partition -> offset).

local US = '\31' -- field separator inside packed values

-- A string from the input (an incident id, a region) inside a packed value
-- or beside a separator: '%' and US become %25 and %1F, so that any id
-- packs and splits back exactly.  Values an older version wrote hold
-- neither, so they read back as they were.
local function enc(s)
    return (string.gsub(s, '[%%\31]', function(c)
        return string.format('%%%02X', string.byte(c))
    end))
end

local function dec(s)
    if not string.find(s, '%', 1, true) then return s end
    return (string.gsub(s, '%%(%x%x)', function(h)
        return string.char(tonumber(h, 16))
    end))
end

-- Runs for every packed value an apply reads, so nothing is built per call
-- but the result.
local function split(s)
    local out, from, n = {}, 1, 0
    while true do
        local sep = string.find(s, US, from, true)
        n = n + 1
        if not sep then
            out[n] = string.sub(s, from)
            return out
        end
        out[n] = string.sub(s, from, sep - 1)
        from = sep + 1
    end
end

local function num(s, default)
    if s == nil or s == '' then return default end
    return tonumber(s) or default
end

-- Doubles leave Lua as strings: Redis truncates Lua numbers to integers.
local function fmt(x)
    return string.format('%.17g', x)
end

-- A hash keeps Redis's compact listpack encoding only while every value
-- fits hash-max-listpack-value (64 bytes by default): one longer value turns
-- the whole aggregate hash into a hash table, two to three times its size.
-- The policy and notification states grow with what an incident went
-- through, so they are kept in pieces of at most PIECE bytes: field `name`,
-- then `name.2`, `name.3`...  A state written whole by an older version
-- reads the same.
local PIECE = 64

local function piece_name(name, k)
    return k == 1 and name or (name .. '.' .. k)
end

-- A hash as a Lua table, field -> value.
local function hash_table(key)
    local h, t = redis.call('HGETALL', key), {}
    for j = 1, #h, 2 do t[h[j]] = h[j + 1] end
    return t
end

-- `agg` is the hash as a Lua table (hash_table).
local function joined(agg, name)
    if agg[name] == nil then return nil end
    local parts, k = {}, 1
    while agg[piece_name(name, k)] do
        parts[k] = agg[piece_name(name, k)]
        k = k + 1
    end
    return table.concat(parts)
end

-- Appends to `args` (for one HSET) the fields and values that store
-- `value` in pieces; returns the number of the first piece left unused.
local function add_pieces(args, name, value)
    local k = 1
    for i = 1, math.max(#value, 1), PIECE do
        args[#args + 1] = piece_name(name, k)
        args[#args + 1] = string.sub(value, i, i + PIECE - 1)
        k = k + 1
    end
    return k
end

-- Drops the pieces from number `k` on that a longer state had left.
local function drop_pieces(key, name, k)
    while redis.call('HDEL', key, piece_name(name, k)) == 1 do k = k + 1 end
end

-- Appends the first `limit` events held in list `key` to `out`, and sets
-- out[3] to how many more it holds.  They are released, not removed:
-- `unhold` drops each once it has been applied.  A backlog is released a
-- slice per batch (the worker comes back for the rest), never all at once:
-- an hour of tickets held for a service whose alert came late would
-- otherwise be decoded into one batch.
local function with_held(out, key, limit)
    limit = math.max(1, tonumber(limit) or 1)
    local held = redis.call('LRANGE', key, 0, limit - 1)
    for _, v in ipairs(held) do out[#out + 1] = v end
    if #held == limit then
        out[3] = redis.call('LLEN', key) - limit
    end
    return out
end

-- A service's id key holds its incident id (enc()), or, once that incident has
-- resolved, "<id>\31<until>": the incident reopens on a firing alert until
-- `until` (epoch ms on the incident clock), after which the service has
-- no incident.  mapped() returns the id that counts at `now`, and whether
-- it is a resolved incident's.
local function mapped(key, now)
    local v = redis.call('GET', key)
    if not v then return nil, false end
    local sep = string.find(v, US, 1, true)
    if not sep then return dec(v), false end
    if now > tonumber(string.sub(v, sep + 1)) then return nil, true end
    return dec(string.sub(v, 1, sep - 1)), true
end

-- route: the open incident of a service or ticket, creating it for a firing
-- alert.  KEYS[1] = id key, KEYS[2] = held list, KEYS[3] = alert event id
-- -> incident (hash).  ARGV[1] = candidate id ('' = look up only),
-- ARGV[2] = ttl seconds, ARGV[3] = now (ms), ARGV[4] = most held events to
-- release, ARGV[5..] = "F:<event id>" /
-- "R:<event id>" of the batch's unkeyed alerts for this service,
-- "K:<event id>" of firing alerts that name their incident (they may open
-- the service's mapping, but their incident is theirs: nothing to
-- remember).
--
-- Alerts are remembered per service so that a replayed alert goes back to
-- the incident it was first applied to (whose seen-set absorbs it) rather
-- than reopening a resolved incident or opening a phantom one.
-- Returns {incident id or false, n, more held, incident of each alert
-- ('' = new), held events...}.  Held events are returned, not removed: the caller
-- acknowledges them with `unhold` once applied, so a crash in between
-- loses nothing (the incident's seen-set absorbs the replay).
local function route(keys, args)
    local id = mapped(keys[1], tonumber(args[3]))
    local ttl = tonumber(args[2])
    local known, fresh_firing = {}, false
    for i = 5, #args do
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
        redis.call('SET', keys[1], enc(id), 'EX', ttl)
    end
    local out = {id or false, #args - 4, 0}
    for i = 5, #args do
        if known[i] == '' and id and string.sub(args[i], 1, 1) ~= 'K' then
            redis.call('HSET', keys[3], string.sub(args[i], 3), id)
        end
        out[#out + 1] = known[i]
    end
    if #args > 4 and id then redis.call('EXPIRE', keys[3], ttl) end
    if id then with_held(out, keys[2], args[4]) end
    return out
end

-- hold: keep events that match no incident yet.  Re-checks the id key in
-- the same atomic step, so an incident opened meanwhile by another worker
-- is never missed.  KEYS as route; ARGV[1] = ttl, ARGV[2] = now (ms),
-- ARGV[3..] = events.  Returns the incident id when one exists now
-- (nothing held), else false.
local function hold(keys, args)
    local id = mapped(keys[1], tonumber(args[2]))
    if id then return id end
    for i = 3, #args do
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
-- ARGV[1] = incident id, ARGV[2] = ttl, ARGV[3] = most held events to
-- release.
local function bind(keys, args)
    redis.call('SET', keys[1], enc(args[1]), 'EX', tonumber(args[2]))
    return with_held({args[1], 0, 0}, keys[2], args[3])
end

-- map: point a service at an incident, or stop pointing it.  KEYS[1] = the
-- service's id key, KEYS[2] its held list.  ARGV[1] = incident id,
-- ARGV[2] = mode, ARGV[3] = seconds, ARGV[4] = now (ms), ARGV[5] = until,
-- ARGV[6] = most held events to release:
--   'nx'     map it unless the service has an incident of its own (a
--            downstream service joins the blast radius of an open incident:
--            its alerts will join that incident instead of paging alone);
--            a resolved incident's mapping does not count as its own.
--            Returns {id now mapped, 0, more held, held events...} like
--            route.
--   'expire' if it is still mapped to the incident, which has resolved:
--            reopen it on a firing alert until `until` (the reopen window,
--            kept `seconds` in Redis at least); 0 seconds = forget now
--   'keep'   if it is still mapped to the incident, which is open (again):
--            keep it `seconds`
local function map(keys, args)
    local id, mode, secs = args[1], args[2], tonumber(args[3])
    local cur, resolved = mapped(keys[1], tonumber(args[4]))
    if mode == 'nx' then
        if not cur or resolved then
            redis.call('SET', keys[1], enc(id), 'EX', secs)
            cur = id
        end
        if cur ~= id then return {cur, 0, 0} end
        return with_held({cur, 0, 0}, keys[2], args[6])
    end
    if cur ~= id then return 0 end
    if mode == 'keep' then
        return redis.call('SET', keys[1], enc(id), 'EX', secs)
    end
    if secs > 0 then
        return redis.call('SET', keys[1], enc(id) .. US .. args[5], 'EX', secs)
    end
    return redis.call('DEL', keys[1])
end

-- Sets of strings (the event ids applied, the blast radius) are kept as
-- hashes of empty values: up to 128 short members a hash is a listpack,
-- where Redis 7.0 keeps any set of strings in a hash table (ten event ids:
-- 720 bytes, against some 250).  Past that a member costs a few bytes more
-- than in a set.  The oldest versions kept sets: upgrade() converts them.
local function set_add(key, m)
    return redis.call('HSETNX', key, m, '') == 1
end

-- impact: add services to an incident's blast radius.  The worker walks
-- the dependency graph (only from services not in the set yet) and writes
-- the closure back here, so the next walk starts where this one stopped.
-- KEYS[1] agg, KEYS[2] imp; ARGV[1] = ttl, ARGV[2..] = services.
local function impact(keys, args)
    if redis.call('EXISTS', keys[1]) == 0 then return 0 end
    local n = 0
    for i = 2, #args do
        if set_add(keys[2], args[i]) then n = n + 1 end
    end
    local ttl = redis.call('TTL', keys[1])
    redis.call('EXPIRE', keys[2], ttl > 0 and ttl or tonumber(args[1]))
    return n
end

-- schedule: when an incident must be re-scored next with no new event
-- (duration, triage and SLA clocks, the end of the quiet time).
-- KEYS[1] = deadlines; ARGV[1] = incident, ARGV[2] = epoch ms (0 = never).
local function schedule(keys, args)
    if tonumber(args[2]) <= 0 then
        return redis.call('ZREM', keys[1], args[1])
    end
    return redis.call('ZADD', keys[1], args[2], args[1])
end

-- due: claim up to ARGV[3] incidents whose deadline is <= ARGV[1] (now),
-- leasing each for ARGV[2] ms: another worker sees it again only if this
-- one dies before rescheduling it.  Returns {incident, deadline, ...}; the
-- deadline doubles as the re-score's tick, which apply fences on, so a
-- deadline taken over after a lease expired is not applied twice.
local function due(keys, args)
    local now, lease = tonumber(args[1]), tonumber(args[2])
    local items = redis.call('ZRANGEBYSCORE', keys[1], '-inf', now,
                             'WITHSCORES', 'LIMIT', 0, tonumber(args[3]))
    for j = 1, #items, 2 do
        redis.call('ZADD', keys[1], now + lease, items[j])
    end
    return items
end

-------------------------------------------------------------------------------
-- The state marker <p>:state (hash): what a worker needs to tell that Redis
-- lost writes that Kafka's committed offsets say were made.
--   gen          the state generation: 0, or the time (epoch seconds) a
--                worker found state lost; incidents touched since start
--                their revisions at gen * 1,000,000, above anything
--                published before
--   cluster      the Kafka cluster the offsets are of
--   o<k><p>      per input partition (k: a alerts, t tickets, s sentiment),
--                the offset after the last message whose state was
--                written: raised after each batch's writes, before its
--                commit, so it is never below the committed offset
-- Once the marker exists, every partition Kafka committed an offset of has
-- a mark at least that high (it is created with every input partition's,
-- and a mark is raised before each commit): one below, or missing, means
-- writes were lost.
-- check: KEYS[1] = <p>:state; ARGV[1] = cluster, ARGV[2] = now (epoch
-- seconds), ARGV[3] = '' for a batch's partitions only, or, with every
-- input partition, '1' if other keys of impactd exist, else '0';
-- ARGV[4..] = partition, committed offset pairs.  Returns {gen, 'ok'},
-- {gen, 'created'} (a marker made for state an older version wrote, or
-- for none), {gen, 'lost', why}, or {gen, 'ask'}: a batch's check found no marker, a
-- marker of another Kafka cluster, or a mark behind; the worker asks again
-- with every partition, which settles them all at once.
-- Sets field `f` of the marker to `v` unless its value `cur` (nil when
-- none) is already as high: marks only rise.  Whether it did.
local function raise_mark(key, f, v, cur)
    if cur ~= nil and tonumber(cur) >= tonumber(v) then return false end
    redis.call('HSET', key, f, v)
    return true
end

local function state_check(keys, args)
    local h = hash_table(keys[1])
    local cluster, now, mode = args[1], tonumber(args[2]), args[3]
    local fresh = h.gen == nil or h.cluster ~= cluster
    local lost = nil
    if h.gen == nil and mode == '0' then
        for i = 4, #args, 2 do
            if tonumber(args[i + 1]) > 0 then
                lost = 'no marker, no state, but offset ' .. args[i + 1] ..
                       ' of ' .. args[i] .. ' committed'
                break
            end
        end
    elseif not fresh then
        for i = 4, #args, 2 do
            local mark = num(h['o' .. args[i]], 0)
            if mark < tonumber(args[i + 1]) then
                lost = 'state of ' .. args[i] .. ' written up to offset ' ..
                       mark .. ', committed up to ' .. args[i + 1]
                break
            end
        end
    end
    if mode == '' then
        if fresh or lost then return {num(h.gen, 0), 'ask'} end
        return {num(h.gen, 0), 'ok'}
    end
    local gen = num(h.gen, 0)
    if lost then gen = math.max(now, gen + 1) end
    if h.cluster ~= cluster then
        -- Offsets of another cluster (the embedded one is new every run)
        -- say nothing about this one.
        local old = {}
        for f in pairs(h) do
            if string.sub(f, 1, 1) == 'o' then old[#old + 1] = f end
        end
        if #old > 0 then redis.call('HDEL', keys[1], unpack(old)) end
    end
    redis.call('HSET', keys[1], 'gen', string.format('%d', gen),
               'cluster', cluster)
    -- Every partition starts from what was committed: a new marker, state
    -- an older version wrote, or what is left after a loss.  Only ever
    -- raised: another worker may have marked a batch it has not committed
    -- yet since these offsets were read.
    for i = 4, #args, 2 do
        local f = 'o' .. args[i]
        raise_mark(keys[1], f, args[i + 1], not fresh and h[f] or nil)
    end
    if lost then return {gen, 'lost', lost} end
    if h.gen == nil then return {gen, 'created'} end
    return {gen, 'ok'}
end

-- bump: a new generation, for `impactd rewind`: the replay it asks for
-- must reach events an incident's offset fence would take for replays
-- (the fences are of one generation), and the revisions it makes go above
-- all before.  KEYS[1] = <p>:state; ARGV[1] = now (epoch seconds).
-- Returns the generation.
local function state_bump(keys, args)
    local gen = math.max(tonumber(args[1]),
                         num(redis.call('HGET', keys[1], 'gen'), 0) + 1)
    redis.call('HSET', keys[1], 'gen', string.format('%d', gen))
    return gen
end

-- mark: a batch's writes are done: raise each partition's offset.
-- KEYS[1] = <p>:state; ARGV[1] = cluster, ARGV[2..] = partition, offset
-- after the batch's last message.  Never lowers one (a slower worker that
-- lost the partition meanwhile); a marker of another cluster is left for
-- the next check.
local function state_mark(keys, args)
    if redis.call('HGET', keys[1], 'cluster') ~= args[1] then return 0 end
    local n = 0
    for i = 2, #args, 2 do
        local f = 'o' .. args[i]
        if raise_mark(keys[1], f, args[i + 1],
                      redis.call('HGET', keys[1], f) or nil) then
            n = n + 1
        end
    end
    return n
end

-------------------------------------------------------------------------------
-- apply: fold a batch of one incident's events into its aggregates.
--
-- KEYS: 1 agg, 2 seen, 3 alerts, 4 accts, 5 tix, 6 segs, 7 tpm (layout 1,
--       read by upgrade()), 8 esc, 9 imp, 10 spm, 11 offs (layout 1, the
--       same), 12 unbound, 13 kaccts
-- ARGV: 1 ttl seconds, 2 trend window minutes, 3 incident id, 4 now (ms),
--       5 tick (a deadline being re-scored; 0 = none), 6 quiet time (ms),
--       7 sentiment window minutes, 8 retention seconds once resolved,
--       9 the Kafka cluster the offsets below are of (and "/g<gen>" in
--       a generation after the first: fences of another generation start
--       over, so that a replay `impactd rewind` asked for gets through),
--       10 the state
--       generation (<p>:state's gen), 11 its first revision
--       (gen * 1,000,000), then events:
--   O, partition:offset  where the event that follows was read (2 fields;
--      events released from a hold have none)
--   A, event_id, service, status(F|R), disruption(0..2|''), severity, users,
--      burn, revenue_loss, region, occurred_at                   (11 fields)
--   T, event_id, ticket_id, account, tier(1..4|''), arr, strategic(0|1|''),
--      region, version, platform, feature, account prefix, status(O|R|S),
--      personal(0|1), SLA tier(1..4|'': the account's tier), occurred_at
--                                                                (16 fields)
--   S, event_id, account, score, negative(0|1), occurred_at      (6 fields)
-- '' means absent.
--
-- Alert facts per service (KEYS[3]): state, disruption, users, burn,
-- revenue loss, region, origin.  State '1' firing, '0' resolved, 'H'
-- firing but handed over to an incident of its own when this one
-- resolved.  Origin 'd' marks a service that alerted while already in the
-- blast radius (downstream of the root): it does not hold the incident
-- open, so a resolve of the root is never kept back by its dependents.
-------------------------------------------------------------------------------

local function hincr(key, field, by)
    return redis.call('HINCRBY', key, field, by)
end

-- The shortest decimal that reads back as the same double: -1.11 where
-- %.17g writes -1.1100000000000001 (and HINCRBYFLOAT, in long double,
-- -1.10999999999999997).  Those digits were most of what :spm holds.
local function fmt_short(x)
    for p = 15, 16 do
        local s = string.format('%.' .. p .. 'g', x)
        if tonumber(s) == x then return s end
    end
    return string.format('%.17g', x)
end

-- The counters an apply's events add to (st.adds) are summed in Lua and
-- written once per field by flush_adds(): a storm brings hundreds of
-- tickets to one incident per call, and each would otherwise cost a dozen
-- HINCRBYs.  Fields are created in the order events first touched them,
-- as one by one would.  Floats (ARR, sentiment sums; `K` given) are read
-- first and added event by event in event order, as one call per event
-- would, and written back exactly (fmt_short): batching cannot change a
-- sum.
local function add(st, k, field, by, K)
    local f = st.adds[k]
    if f == nil then
        f = {}
        st.adds[k] = f
    end
    local cur = f[field]
    if cur == nil then
        st.add_order[#st.add_order + 1] = {k, field, K ~= nil}
        cur = K and num(redis.call('HGET', K[k], field), 0) or 0
    end
    f[field] = cur + by
end

local function flush_adds(K, st)
    for _, kf in ipairs(st.add_order) do
        local v = st.adds[kf[1]][kf[2]]
        if kf[3] then
            redis.call('HSET', K[kf[1]], kf[2], fmt_short(v))
        else
            hincr(K[kf[1]], kf[2], v)
        end
    end
    st.adds, st.add_order = {}, {}
end

-- Fields of the aggregate hash that tickets read and only ever raise:
-- read once per call.
local function cached(K, st, field)
    local v = st.cache[field]
    if v == nil then
        v = num(redis.call('HGET', K[1], field), 0)
        st.cache[field] = v
    end
    return v
end

local function touch_time(st, t)
    if st.detected_at == nil or t < st.detected_at then st.detected_at = t end
    if st.last_event_at == nil or t > st.last_event_at then st.last_event_at = t end
end

local ALERT_FIELDS = 7 -- state, disruption, users, burn, loss, region, origin

local function apply_alert(K, st, a, i)
    local service, status = a[i + 2], a[i + 3]
    local prev = redis.call('HGET', K[3], service)
    local f = prev and split(prev) or {'0', '', '', '', '', '', ''}
    for j = #f + 1, ALERT_FIELDS do f[j] = '' end
    if not st.root_service then
        st.root_service = service
        redis.call('HSET', K[1], 'root', service)
    elseif not prev and service ~= st.root_service and
        redis.call('HEXISTS', K[9], service) == 1 then
        f[7] = 'd'
    end
    f[1] = (status == 'F') and '1' or '0'
    -- disruption, users, burn, revenue loss, region: a report replaces
    -- the service's earlier one, an absent field keeps it.
    local src = {'', a[i + 4], a[i + 6], a[i + 7], a[i + 8], enc(a[i + 9])}
    for j = 2, 6 do
        if src[j] ~= '' then f[j] = src[j] end
    end
    redis.call('HSET', K[3], service, table.concat(f, US))
    local t = tonumber(a[i + 10])
    if a[i + 5] ~= '' then
        redis.call('HSET', K[1], 'sev', a[i + 5])
        if not redis.call('HGET', K[1], 'tri') then
            redis.call('HSET', K[1], 'tri', t)
        end
    end
    if status == 'F' then
        if st.status == 'RESOLVED' then
            st.status = 'OPEN'
            st.reopened = true
            redis.call('HSET', K[1], 'st', 'OPEN')
            redis.call('HDEL', K[1], 'res')
        end
    elseif st.resolve_at == nil or t > st.resolve_at then
        st.resolve_at = t
    end
end

-- Key accounts are named while an incident is open (for their account
-- managers); every account only once it resolves (for follow-ups).
local function is_key(f)
    return num(f[1], 0) >= 4 or f[3] == '1'
end

-- A ticket's segments, as the field names of :segs start (layout 3): the
-- kind's letter, then the value.  redis_reply.c reads the same letters.
local SEGMENT_KINDS = {'r', 'v', 'p', 'f', 'a'}

local function apply_ticket(K, st, a, i, bucket_ms)
    local tid, acct = a[i + 2], a[i + 3]
    local tier, arr, strategic = a[i + 4], a[i + 5], a[i + 6]
    local status = a[i + 12]
    local t = tonumber(a[i + 15])
    -- Accounts count once however many tickets they file; an explicit ARR
    -- on a later ticket replaces the account's earlier figure.
    local prev = redis.call('HGET', K[4], acct)
    local f = prev and split(prev) or {'', '0', '0', '0'}
    if not prev then add(st, 1, 'accts', 1) end
    if f[4] == nil then f[4] = '0' end
    local old_arr = num(f[2], 0)
    if tier ~= '' and num(tier, 0) > num(f[1], 0) then f[1] = tier end
    if arr ~= '' then f[2] = arr end
    if strategic == '1' then f[3] = '1' end
    local new_arr = num(f[2], 0)
    if new_arr ~= old_arr or not prev then
        add(st, 1, 'arr', new_arr - old_arr, K)
    end
    -- Tickets per account, for account managers and follow-ups.
    local old = redis.call('HGET', K[5], tid)
    if not old then
        f[4] = tostring(num(f[4], 0) + 1)
    end
    local packed = table.concat(f, US)
    redis.call('HSET', K[4], acct, packed)
    local tn = num(f[1], 0)
    -- Tiers only rise and strategic is never unset: once key, always key.
    if is_key(f) then redis.call('HSET', K[13], acct, packed) end
    if tn > cached(K, st, 'tier') then
        redis.call('HSET', K[1], 'tier', f[1])
        st.cache.tier = tn
    end
    -- Tiers whose SLA targets are on the clock, as bits (1 << tier): the
    -- account's contract, else its tier.
    tn = num(a[i + 14], tn)
    if tn > 0 then
        local mask = cached(K, st, 'tiers')
        local bit = 2 ^ tn
        if math.floor(mask / bit) % 2 == 0 then
            redis.call('HSET', K[1], 'tiers', mask + bit)
            st.cache.tiers = mask + bit
        end
    end
    if f[3] == '1' and cached(K, st, 'strat') == 0 then
        redis.call('HSET', K[1], 'strat', 1)
        st.cache.strat = 1
    end
    if a[i + 13] == '1' and not redis.call('HGET', K[1], 'pd') then
        -- The regulator's clock (GDPR: 72 hours) runs from the first report.
        redis.call('HSET', K[1], 'pd', 1, 'pd_at', t)
    end

    local was_open = old == 'O' or old == 'R'
    local is_open = status == 'O' or status == 'R'
    if not old then
        add(st, 1, 'tix', 1)
        st.new_tickets[#st.new_tickets + 1] = tid
        for k = 1, 5 do
            local v = a[i + 6 + k]
            if v ~= '' then add(st, 6, SEGMENT_KINDS[k] .. v, 1) end
        end
        add(st, 10, 't' .. math.floor(t / bucket_ms), 1)
    end
    if is_open and not was_open then add(st, 1, 'open', 1) end
    if was_open and not is_open then add(st, 1, 'open', -1) end
    redis.call('HSET', K[5], tid, status)
end

local function apply_sentiment(K, st, a, i)
    add(st, 1, 'sc', 1)
    local negative = a[i + 4] == '1'
    if negative then add(st, 1, 'sn', 1) end
    local score = tonumber(a[i + 3])
    add(st, 1, 'ss', score, K)
    -- Per minute, for the surge and the trend: c<m> count, n<m> negative,
    -- s<m> sum of scores.
    local m = math.floor(tonumber(a[i + 5]) / 60000)
    add(st, 10, 'c' .. m, 1)
    if negative then add(st, 10, 'n' .. m, 1) end
    add(st, 10, 's' .. m, score, K)
end

-- Settles the incident's status from its alerts at `now`: it resolves
-- once no service that holds it open has fired for the quiet time.  A
-- service that only joined as a dependent does not hold it open; if it
-- is still firing then, it is handed over ('H') to an incident of its own.
local function settle(K, st, alerts, now, quiet_ms)
    if st.status ~= 'OPEN' or #alerts == 0 then return end
    local holding, downstream = false, {}
    for j = 1, #alerts, 2 do
        local f = split(alerts[j + 1])
        if f[1] == '1' then
            if f[7] == 'd' then downstream[#downstream + 1] = j
            else holding = true end
        end
    end
    local since = num(redis.call('HGET', K[1], 'quiet'), nil)
    if holding then
        if since then redis.call('HDEL', K[1], 'quiet') end
        return
    end
    if not since then
        since = st.resolve_at or now
        redis.call('HSET', K[1], 'quiet', since)
        st.changed = true
    end
    if now < since + quiet_ms then return end
    st.status = 'RESOLVED'
    redis.call('HSET', K[1], 'res', since)
    redis.call('HDEL', K[1], 'quiet')
    for _, j in ipairs(downstream) do
        local f = split(alerts[j + 1])
        f[1] = 'H'
        alerts[j + 1] = table.concat(f, US)
        redis.call('HSET', K[3], alerts[j], alerts[j + 1])
    end
end

-- Sums of minute buckets of `key`: each range {prefix, from, to} sums
-- the fields prefix..minute over [from, to], minute by minute.  A hash
-- with no more buckets than that is read whole (no field names to build:
-- this runs on every apply); a longer one with one HMGET for all ranges.
local function window_sums(key, ranges)
    local wanted = 0
    for _, r in ipairs(ranges) do wanted = wanted + r[3] - r[2] + 1 end
    local byp = {}
    if redis.call('HLEN', key) <= wanted then
        local h = redis.call('HGETALL', key)
        for j = 1, #h, 2 do
            local p, m = '', tonumber(h[j])
            if m == nil then
                p, m = string.sub(h[j], 1, 1), tonumber(string.sub(h[j], 2))
            end
            if m then
                byp[p] = byp[p] or {}
                byp[p][m] = h[j + 1]
            end
        end
    else
        local fields = {}
        for _, r in ipairs(ranges) do
            for b = r[2], r[3] do fields[#fields + 1] = r[1] .. b end
        end
        local vals, j = redis.call('HMGET', key, unpack(fields)), 1
        for _, r in ipairs(ranges) do
            byp[r[1]] = byp[r[1]] or {}
            for b = r[2], r[3] do
                byp[r[1]][b] = vals[j]
                j = j + 1
            end
        end
    end
    local sums = {}
    for k, r in ipairs(ranges) do
        local t, total = byp[r[1]] or {}, 0
        for b = r[2], r[3] do total = total + num(t[b], 0) end
        sums[k] = total
    end
    return sums
end

-- The incident's current facts, in the order redis_reply.c reads them.
local function summarize(K, st, alerts, now, window, swindow)
    local agg = hash_table(K[1])

    local users, disruption, burn, loss = -1, -1, -1, -1
    local services, handover, regions, region_list = {}, {}, {}, {}
    for j = 1, #alerts, 2 do
        services[#services + 1] = alerts[j]
        local f = split(alerts[j + 1])
        -- Alerts of one incident describe overlapping user bases and the
        -- same lost sales: take the worst report, never the sum.
        local u = num(f[3], -1)
        users = math.max(users, u)
        -- An alert that never named its disruption counts as DEGRADED.
        disruption = math.max(disruption, num(f[2], 1))
        burn = math.max(burn, num(f[4], -1))
        loss = math.max(loss, num(f[5], -1))
        if f[6] ~= nil and f[6] ~= '' and u >= 0 then
            if regions[f[6]] == nil then region_list[#region_list + 1] = f[6] end
            regions[f[6]] = math.max(regions[f[6]] or 0, u)
        end
        if f[1] == 'H' then
            handover[#handover + 1] = {alerts[j], f[2], f[3], f[4], f[5], f[6]}
        end
    end

    -- Windows end at the later of now and the last event, so a replay of
    -- old events still sees them in their own windows.
    local ref = math.max(now, num(agg.last, 0))
    local now_b = math.floor(ref / 60000)
    local s_from = now_b - swindow + 1
    local ranges = {{'c', s_from, now_b}, {'n', s_from, now_b},
                    {'s', s_from, now_b},
                    {'c', s_from - swindow, s_from - 1},
                    {'s', s_from - swindow, s_from - 1}}
    ranges[6] = {'t', now_b - 2 * window + 1, now_b - window}
    ranges[7] = {'t', now_b - window + 1, now_b}
    local s = window_sums(K[10], ranges)
    local prev_n, now_n = s[6], s[7]
    local snow_c, snow_n, snow_s, sprev_c, sprev_s = s[1], s[2], s[3], s[4], s[5]

    local segs = redis.call('HGETALL', K[6])
    local imp = redis.call('HKEYS', K[9])
    table.sort(imp)
    -- Accounts: the key ones while open, from their own hash: a storm
    -- incident has tens of thousands of accounts and a few hundred key ones,
    -- and this runs on every apply.  Every one once resolved.  An incident
    -- older than :kaccts (no 'kaccts' field yet) is filtered the old way.
    local accounts = {}
    local all = st.status == 'RESOLVED'
    local accts = redis.call('HGETALL', (all or not st.kaccts) and K[4] or K[13])
    for j = 1, #accts, 2 do
        local f = split(accts[j + 1])
        if all or is_key(f) then
            accounts[#accounts + 1] = {accts[j], f[1], f[2], f[3], f[4] or '0'}
        end
    end
    local out = {
        agg.rev or '0', st.status, agg.root or '',
        agg.det or '0', agg.last or '0',
        agg.res or '0', agg.tri or '0',
        agg.sev or '0',
        fmt(users), fmt(disruption), fmt(burn), fmt(loss),
        agg.accts or '0', agg.arr or '0',
        agg.tier or '0', agg.strat or '0',
        agg.tix or '0', agg.open or '0',
        agg.pd or '0',
        agg.sc or '0', agg.sn or '0',
        agg.ss or '0',
        tostring(now_n), tostring(prev_n),
        st.changed and '1' or (st.redo and '2' or '0'), tostring(st.dups),
        st.resolved_now and '1' or '0',
        agg.tiers or '0', agg.quiet or '0',
        tostring(snow_c), tostring(snow_n), fmt(snow_s),
        tostring(sprev_c), fmt(sprev_s),
        st.reopened and '1' or '0',
        tostring(#services), tostring(#segs / 2), tostring(#st.new_tickets),
        tostring(#imp), tostring(#region_list), tostring(#handover),
        agg.pd_at or '0', joined(agg, 'p') or '',
        joined(agg, 'n') or '',
        agg.dv or '0', tostring(#accounts), agg.g or '0',
    }
    for _, s in ipairs(services) do out[#out + 1] = s end
    for j = 1, #segs do out[#out + 1] = segs[j] end
    for _, t in ipairs(st.new_tickets) do out[#out + 1] = t end
    for _, s in ipairs(imp) do out[#out + 1] = s end
    for _, r in ipairs(region_list) do
        out[#out + 1] = dec(r)
        out[#out + 1] = fmt(regions[r])
    end
    for _, ho in ipairs(handover) do
        for k = 1, 5 do out[#out + 1] = ho[k] or '' end
        out[#out + 1] = dec(ho[6] or '')
    end
    for _, a in ipairs(accounts) do
        for k = 1, 5 do out[#out + 1] = a[k] end
    end
    -- One string, the fields separated by NUL bytes, which none of them
    -- holds: Redis converts one value where it converted a few hundred, and
    -- the worker's client allocates one reply object, not one per field.
    return table.concat(out, '\0')
end

-- Effectively-once by position: an event read at or below the highest
-- offset this incident applied from its partition is a replay (a crash
-- before the commit, a rebalance, a duplicate delivery), whatever its id
-- says.  Events of one partition reach one incident in offset order, as
-- the worker applies a batch in poll order.  The offsets are of one
-- cluster: pointed at another (the embedded one is new each run), the
-- incident starts over.  `from` = "partition:offset", or nil.  Nothing is
-- written here: fence_store() writes what moved once the events are
-- applied.  The offsets are the aggregate hash's '@' fields: '@' names the
-- cluster, '@a3' is the highest offset applied from alerts partition 3.
local function fenced(fence, from)
    if from == nil then return true end
    if not fence.loaded then
        fence.loaded = true
        fence.reset = redis.call('HGET', fence.key, '@') ~= fence.cluster
    end
    local sep = string.find(from, ':', 1, true)
    local part, off = string.sub(from, 1, sep - 1), tonumber(string.sub(from, sep + 1))
    local high = fence[part]
    if high == nil then
        high = fence.reset and -1 or
            num(redis.call('HGET', fence.key, '@' .. part), -1)
    end
    fence[part] = math.max(high, off)
    if off <= high then return false end
    fence.dirty[part] = true
    return true
end

-- Offsets of another cluster go first.
local function fence_store(fence)
    if fence.reset then
        local old = {}
        for _, f in ipairs(redis.call('HKEYS', fence.key)) do
            if string.byte(f, 1) == 64 then old[#old + 1] = f end -- '@'
        end
        if #old > 0 then redis.call('HDEL', fence.key, unpack(old)) end
        redis.call('HSET', fence.key, '@', fence.cluster)
    end
    for part in pairs(fence.dirty) do
        redis.call('HSET', fence.key, '@' .. part, fence[part])
    end
end

-- The aggregate's field names before layout 3, and since.  Layout 3 spells
-- them in a few letters: they were a third of the hash, and Redis keeps
-- them in every incident.  (tiers kept its name; incident_id, which the
-- key names, and layout are gone.)
local OLD_NAMES = {
    status = 'st', revision = 'rev', root_service = 'root',
    detected_at = 'det', last_event_at = 'last', resolved_at = 'res',
    triaged_at = 'tri', quiet_since = 'quiet', declared_severity = 'sev',
    affected_accounts = 'accts', arr_at_risk = 'arr', max_tier = 'tier',
    strategic = 'strat', tickets_total = 'tix', tickets_open = 'open',
    personal_data = 'pd', personal_data_at = 'pd_at', kaccts = 'ka',
    sentiment_count = 'sc', sentiment_negative = 'sn', sentiment_sum = 'ss',
    last_tick = 'tick', policy = 'p', notify = 'n', decide_v = 'dv',
    decide_rev = 'dr', after_rev = 'done'}
local OLD_SEGMENT_KINDS = {region = 'r', product_version = 'v', platform = 'p',
                           feature = 'f', account_prefix = 'a'}

-- A hash rewritten field by field: rename(field) returns the field's new
-- name, or nil to keep it as it is.  A new name the hash has already
-- (written since by a newer version) keeps its value; the old field goes.
local function rewrite_hash(key, rename)
    local h, have, set, old = redis.call('HGETALL', key), {}, {}, {}
    for j = 1, #h, 2 do have[h[j]] = true end
    for j = 1, #h, 2 do
        local f = rename(h[j])
        if f ~= nil then
            old[#old + 1] = h[j]
            if not have[f] then
                set[#set + 1] = f
                set[#set + 1] = h[j + 1]
            end
        end
    end
    -- New fields first: a hash that lost its last field would be gone,
    -- and its TTL with it.  A thousand at a time: Lua unpacks at most
    -- some 8,000 values.
    for j = 1, #set, 1000 do
        redis.call('HSET', key, unpack(set, j, math.min(j + 999, #set)))
    end
    for j = 1, #old, 1000 do
        redis.call('HDEL', key, unpack(old, j, math.min(j + 999, #old)))
    end
end

-- A set of strings as a hash of empty values, its TTL kept.
local function set_to_hash(key)
    if redis.call('TYPE', key).ok ~= 'set' then return end
    local m, ttl = redis.call('SMEMBERS', key), redis.call('PTTL', key)
    redis.call('DEL', key)
    for j = 1, #m, 500 do
        local args = {}
        for k = j, math.min(j + 499, #m) do
            args[#args + 1] = m[k]
            args[#args + 1] = ''
        end
        redis.call('HSET', key, unpack(args))
    end
    if ttl > 0 then redis.call('PEXPIRE', key, ttl) end
end

-- Brings an incident an older version stored to layout 3, once, on its
-- first apply since: the aggregate's and the segments' field names; for
-- layout 1 (no `layout` field) also its tickets per minute (:tpm, into
-- :spm as t<m>), its offsets (:offs, into the aggregate's '@' fields) and
-- the sets the oldest versions kept (:seen, :imp).  Everything else reads
-- layout 3 only.  KEYS as apply.
local function upgrade(K)
    local layout = redis.call('HGET', K[1], 'layout')
    local ttl = redis.call('PTTL', K[1])
    rewrite_hash(K[1], function(f)
        local base, k = string.match(f, '^(%l+)%.(%d+)$') -- policy.2
        if base and (base == 'policy' or base == 'notify') then
            return OLD_NAMES[base] .. '.' .. k
        end
        return OLD_NAMES[f]
    end)
    redis.call('HDEL', K[1], 'incident_id', 'layout')
    rewrite_hash(K[6], function(f)
        local sep = string.find(f, US, 1, true)
        local kind = sep and OLD_SEGMENT_KINDS[string.sub(f, 1, sep - 1)]
        return kind and (kind .. string.sub(f, sep + 1))
    end)
    if layout ~= false then return end
    local offs = redis.call('HGETALL', K[11])
    for j = 1, #offs, 2 do
        local f = offs[j] == '@' and '@' or ('@' .. offs[j])
        redis.call('HSET', K[1], f, offs[j + 1])
    end
    local tpm = redis.call('HGETALL', K[7])
    for j = 1, #tpm, 2 do
        redis.call('HINCRBY', K[10], 't' .. tpm[j], tpm[j + 1])
    end
    if #tpm > 0 and ttl > 0 then redis.call('PEXPIRE', K[10], ttl) end
    redis.call('DEL', K[7], K[11])
    set_to_hash(K[2])
    set_to_hash(K[9])
end

local function apply(keys, args)
    local ttl, window = tonumber(args[1]), tonumber(args[2])
    local now, tick = tonumber(args[4]), tonumber(args[5])
    local quiet_ms, swindow = tonumber(args[6]), tonumber(args[7])
    local retention = tonumber(args[8])
    if tick > 0 and redis.call('EXISTS', keys[1]) == 0 then
        return false -- a deadline of an incident that expired meanwhile
    end
    local st = {changed = false, dups = 0, new_tickets = {},
                adds = {}, add_order = {}, cache = {}}
    local h = redis.call('HMGET', keys[1], 'st', 'root', 'det', 'last', 'ka',
                         'status', 'g')
    if h[6] then -- stored by an older version ('status' is 'st' since)
        upgrade(keys)
        h = redis.call('HMGET', keys[1], 'st', 'root', 'det', 'last', 'ka',
                       'status', 'g')
    end
    local gen = tonumber(args[10])
    st.status = h[1] or 'OPEN'
    st.root_service = h[2]
    st.detected_at = tonumber(h[3])
    st.last_event_at = tonumber(h[4])
    st.kaccts = h[5] == '1'
    local existed = h[1] ~= false -- Redis's nil reaches Lua as false
    local was_status = st.status
    local arity = {A = 11, T = 16, S = 6, O = 2}
    local fence = {cluster = args[9], dirty = {}, key = keys[1]}
    local from = nil

    local i = 12
    while i <= #args do
        local kind = args[i]
        local n = arity[kind]
        if n == nil then return redis.error_reply('bad event kind ' .. kind) end
        if kind == 'O' then
            from = args[i + 1]
        elseif not fenced(fence, from) then
            from = nil
            st.dups = st.dups + 1
        elseif set_add(keys[2], args[i + 1]) then
            from = nil
            st.changed = true
            touch_time(st, tonumber(args[i + n - 1]))
            if kind == 'A' then apply_alert(keys, st, args, i)
            elseif kind == 'T' then apply_ticket(keys, st, args, i, 60000)
            else apply_sentiment(keys, st, args, i) end
        else
            st.dups = st.dups + 1
        end
        i = i + n
    end
    flush_adds(keys, st)
    -- A fence alone would make an aggregate hash of an incident that has
    -- none (every event a duplicate), without a TTL.
    if existed or st.changed then fence_store(fence) end
    -- State lost since this incident's last revision (or it is new since
    -- the loss): its revisions go on above anything published before, so
    -- that no (incident, revision) names two different states.
    if gen > 0 and (existed or st.changed) and num(h[7], 0) < gen then
        redis.call('HSET', keys[1], 'g', args[10])
        if num(redis.call('HGET', keys[1], 'rev'), 0) < tonumber(args[11]) then
            redis.call('HSET', keys[1], 'rev', args[11])
        end
        st.changed = true
    end
    -- A replay of events whose revision was never marked done (the worker
    -- died before its follow-ups were stored or before Kafka acknowledged
    -- its outputs): the worker scores and follows it up again.
    if not st.changed and redis.call('EXISTS', keys[1]) == 1 and
        num(redis.call('HGET', keys[1], 'done'), 0) <
            num(redis.call('HGET', keys[1], 'rev'), 0) then
        st.redo = true
    end
    -- A deadline re-scores once, whichever worker claimed it.
    if tick > 0 and st.status == 'OPEN' and
        tick > num(redis.call('HGET', keys[1], 'tick'), 0) then
        redis.call('HSET', keys[1], 'tick', tick)
        st.changed = true
    end

    -- Event times may run ahead of the clock: the incident is at least as
    -- old as its events say (the worker scores with the same rule).
    now = math.max(now, st.last_event_at or 0)
    local alerts = redis.call('HGETALL', keys[3])
    if st.changed then settle(keys, st, alerts, now, quiet_ms) end
    if st.changed then
        st.resolved_now = (st.status == 'RESOLVED' and was_status ~= 'RESOLVED')
        redis.call('HSET', keys[1], 'st', st.status,
                   'det', st.detected_at or now,
                   'last', st.last_event_at or now)
        local rev = hincr(keys[1], 'rev', 1)
        -- The first change builds the key-account index from the accounts
        -- so far (all of them for an incident older than the index).
        if not st.kaccts then
            local accts = redis.call('HGETALL', keys[4])
            for j = 1, #accts, 2 do
                if is_key(split(accts[j + 1])) then
                    redis.call('HSET', keys[13], accts[j], accts[j + 1])
                end
            end
            redis.call('HSET', keys[1], 'ka', 1)
            st.kaccts = true
        end
        -- Binds are written after the apply, by calls on other slots.  Until
        -- this revision is done its new tickets wait here, so a worker that
        -- redoes it binds them, also tickets released from a hold, whose
        -- events are not replayed (their offsets were committed with it).
        for _, t in ipairs(st.new_tickets) do redis.call('HSET', keys[12], t, rev) end
        local keep = st.status == 'RESOLVED' and retention or ttl
        for k = 1, #keys do
            if k ~= 7 and k ~= 11 then redis.call('EXPIRE', keys[k], keep) end
        end
    end
    if st.changed or st.redo then
        st.new_tickets = redis.call('HKEYS', keys[12])
    end
    return summarize(keys, st, alerts, now, window, swindow)
end

-- A notification id's kind and audience, as :esc spells them: one letter
-- each.  They are most of the id (IMPACT_CHANGED:CUSTOMER_LIAISON:4 is
-- IL:4), and an incident decides a dozen or more.  Escalation ids start
-- with a lower-case trigger name, so the two never meet; an id of neither
-- form is kept as it is.
local ESC_KIND = {OPENED = 'O', IMPACT_CHANGED = 'I', SLA_AT_RISK = 'S',
                  RESOLVED = 'R', FOLLOW_UP = 'F'}
local ESC_AUDIENCE = {EXECUTIVE = 'X', ENGINEERING = 'E', CUSTOMER = 'C',
                      ACCOUNT_MANAGER = 'A', CUSTOMER_LIAISON = 'L',
                      COMPLIANCE = 'P'}

local function esc_field(id)
    local kind, audience, rest = string.match(id, '^([%u_]+):([%u_]+):(.*)$')
    local k, a = ESC_KIND[kind or ''], ESC_AUDIENCE[audience or '']
    if k and a then return k .. a .. ':' .. rest end
    return id
end

-- decide: record what the escalation policy and the notifications decided
-- for an incident, exactly once across workers.  The worker decides from
-- the states the apply reply carried (version `decide_v`); this stores the
-- new states only if nobody stored others since (compare and set), and
-- records the ids of the outputs it will produce, and the outputs
-- themselves in the outbox until Kafka has them: a worker that dies before
-- that leaves them for another to produce again.  A revision at or below
-- the last one decided is a replay or was overtaken by a later revision
-- that another worker decided first: its decisions are dropped, since the
-- later one saw newer facts.  KEYS[1] agg, KEYS[2] esc, KEYS[3] outbox;
-- ARGV[1] = expected version, ARGV[2] = policy state, ARGV[3] = notify
-- state, ARGV[4] = event time (triaged_at if a page is among the ids and
-- none was set), ARGV[5] = 1 if a page is among them, ARGV[6] = revision,
-- ARGV[7..] = per output: id, topic ('e' escalations, 'n' notifications,
-- '' muted: recorded, never produced), encoded bytes.  Returns {1} when
-- stored, {2} when superseded, else {0, policy, notify, version} to
-- decide again from.
local function decide(keys, args)
    if num(redis.call('HGET', keys[1], 'dr'), 0) >= tonumber(args[6]) then
        return {2}
    end
    local v = num(redis.call('HGET', keys[1], 'dv'), 0)
    if v ~= tonumber(args[1]) then
        -- Rare (another worker decided first): the whole hash is small.
        local agg = hash_table(keys[1])
        return {0, joined(agg, 'p') or '', joined(agg, 'n') or '',
                tostring(v)}
    end
    local set = {'dv', v + 1, 'dr', args[6]}
    local policy_end = add_pieces(set, 'p', args[2])
    local notify_end = add_pieces(set, 'n', args[3])
    redis.call('HSET', keys[1], unpack(set))
    drop_pieces(keys[1], 'p', policy_end)
    drop_pieces(keys[1], 'n', notify_end)
    if args[5] == '1' and not redis.call('HGET', keys[1], 'tri') then
        redis.call('HSET', keys[1], 'tri', args[4])
    end
    -- :esc records each id without the "<incident>:" it starts with, which
    -- its key already names: with UUIDs for incident ids, that is most of it.
    -- Its value is the revision that decided it (a byte or two, where a
    -- time took nine); that revision's scored event has the time.
    -- The tag is the id percent-encoded (src/ident.c): dec() reads it back.
    local inc = string.match(keys[1], '{(.*)}$')
    local own = inc and (dec(inc) .. ':')
    local outbox = false
    for i = 7, #args, 3 do
        local id = args[i]
        if own and string.sub(id, 1, #own) == own then id = string.sub(id, #own + 1) end
        redis.call('HSET', keys[2], esc_field(id), args[6])
        if args[i + 1] ~= '' then
            redis.call('HSET', keys[3], args[i], args[i + 1] .. args[i + 2])
            outbox = true
        end
    end
    local ttl = redis.call('TTL', keys[1])
    if ttl > 0 and #args >= 7 then redis.call('EXPIRE', keys[2], ttl) end
    if ttl > 0 and outbox then redis.call('EXPIRE', keys[3], ttl) end
    return {1}
end

-- done: revision ARGV[1] is published: Kafka acknowledged its outputs,
-- and its follow-ups (binds among them) were stored before them.
-- KEYS[1] agg, KEYS[2] unbound.
local function done(keys, args)
    local rev = tonumber(args[1])
    if num(redis.call('HGET', keys[1], 'done'), 0) < rev and
        redis.call('EXISTS', keys[1]) == 1 then
        redis.call('HSET', keys[1], 'done', rev)
    end
    if num(redis.call('HGET', keys[1], 'rev'), 0) <= rev then
        redis.call('DEL', keys[2])
        return 1
    end
    -- Another worker applied a later revision meanwhile: its tickets stay.
    local u = redis.call('HGETALL', keys[2])
    for j = 1, #u, 2 do
        if tonumber(u[j + 1]) <= rev then redis.call('HDEL', keys[2], u[j]) end
    end
    return 1
end

redis.register_function('impactd_done', done)
redis.register_function('impactd_state_check', state_check)
redis.register_function('impactd_state_mark', state_mark)
redis.register_function('impactd_state_bump', state_bump)
-------------------------------------------------------------------------------
-- Owned incidents (docs/architecture.md, "The partition write"): every key
-- of routed partition n carries the hash tag {<p>:r<n>}, one slot.
--   <p>:{<p>:r<n>}            hash: epoch, cluster, off (the last routed
--                              offset applied), src:<k><partition> (the
--                              highest input offset applied through it)
--   <p>:{<p>:r<n>}:deadlines  zset: incident -> next deadline (epoch ms)
--   <p>:{<p>:r<n>}:outbox     hash: output id -> topic char + bytes
--   <p>:{<p>:r<n>}:i:<I>      the incident's core record (aggregate.c)
--   <p>:{<p>:r<n>}:s:<I>      its event ids (hash of empty values)
--   <p>:{<p>:r<n>}:a:<I>, :t:<I>, :g:<I>
--                              its accounts, tickets, segments (hashes)
-- The kind comes before the id, so no id can make one incident's key
-- another's.  These functions know nothing of the domain: the owner
-- computes, they store.
-------------------------------------------------------------------------------

-- HSET of count fields from args[from]: pairs (field, value), or with
-- `empty` fields alone, their values ''.  A thousand at a time: Lua unpacks
-- at most some 8,000 values.
local function hset_from(key, args, from, count, empty)
    local step = empty and 1 or 2
    local j = 0
    while j < count do
        local batch = {}
        for k = j, math.min(j + 999, count - 1) do
            batch[#batch + 1] = args[from + k * step]
            batch[#batch + 1] = empty and '' or args[from + k * step + 1]
        end
        redis.call('HSET', key, unpack(batch))
        j = j + 1000
    end
    return from + count * step
end

-- own: a worker takes routed partition n over.  KEYS: meta, deadlines,
-- outbox; ARGV[1] the Kafka cluster of the routed topic.  Raises the
-- epoch, so that every write of an earlier owner is refused from now on,
-- and returns {epoch, off, src marks (field, offset ...), deadlines
-- (incident, ms ...), outbox (id, bytes ...)}.  off is '-1', with no
-- marks, when nothing was applied from this cluster: the embedded one
-- starts empty every run.
local function own(keys, args)
    local epoch = redis.call('HINCRBY', keys[1], 'epoch', 1)
    local h = hash_table(keys[1])
    local off, src = '-1', {}
    if h.cluster == args[1] and h.off then
        off = h.off
        for f, v in pairs(h) do
            if string.sub(f, 1, 4) == 'src:' then
                src[#src + 1] = string.sub(f, 5)
                src[#src + 1] = v
            end
        end
    end
    return {epoch, off, src,
            redis.call('ZRANGE', keys[2], 0, -1, 'WITHSCORES'),
            redis.call('HGETALL', keys[3])}
end

-- persist: one batch of one routed partition, all of it or nothing.
-- KEYS: meta, deadlines, outbox, then per incident its core, ids,
-- accounts, tickets and segments keys.  ARGV: epoch, cluster, routed
-- offset; n, then n (src field, offset) pairs; n, then n outbox ids to
-- clear (acknowledged); n, then n (id, topic char + bytes) to add; then
-- per incident, in KEYS order: id, ttl ms, next deadline (0: none), core
-- record, and per set a count then its entries (ids alone; the others
-- field, value).  Returns {1}, or {0, epoch} when the epoch is not the
-- caller's: another worker owns the partition now, and nothing is written.
--
-- Redis does not undo a script's writes when a later command fails, so
-- everything that could fail is checked before the first write: the
-- arguments' shape, and the type of every key (a key of another type,
-- written by hand or by another program, would fail its command).  Redis
-- refuses the whole call up front when it is out of memory.  The meta
-- (offset, marks) goes last all the same.
local PERSIST_TYPES = {'hash', 'zset', 'hash', 'string', 'hash', 'hash',
                       'hash', 'hash'}

local function persist_check(keys, args)
    local function count(i)
        local n = tonumber(args[i])
        if n == nil or n < 0 or n ~= math.floor(n) then
            error('persist: bad count at argument ' .. i)
        end
        return n
    end
    local i = 4
    i = i + 1 + 2 * count(i)
    i = i + 1 + count(i)
    i = i + 1 + 2 * count(i)
    local k = 4
    while i <= #args do
        if k + 4 > #keys then error('persist: more incidents than keys') end
        local ttl, deadline = tonumber(args[i + 1]), tonumber(args[i + 2])
        if ttl == nil or ttl <= 0 or deadline == nil then
            error('persist: bad ttl or deadline for an incident')
        end
        i = i + 4
        for s = 1, 4 do i = i + 1 + (s == 1 and 1 or 2) * count(i) end
        k = k + 5
    end
    if i ~= #args + 1 or k ~= #keys + 1 then
        error('persist: arguments and keys do not match')
    end
    for j = 1, #keys do
        local want = PERSIST_TYPES[j <= 3 and j or 4 + (j - 4) % 5]
        local t = redis.call('TYPE', keys[j]).ok
        if t ~= 'none' and t ~= want then
            error('persist: ' .. keys[j] .. ' is a ' .. t .. ', not a ' .. want)
        end
    end
end

local function persist(keys, args)
    local epoch = redis.call('HGET', keys[1], 'epoch')
    if epoch ~= args[1] then return {0, epoch or ''} end
    persist_check(keys, args)
    local i = 5 + 2 * tonumber(args[4])
    local n = tonumber(args[i])
    for j = i + 1, i + n, 1000 do
        redis.call('HDEL', keys[3], unpack(args, j, math.min(j + 999, i + n)))
    end
    i = i + n + 1
    n = tonumber(args[i])
    i = hset_from(keys[3], args, i + 1, n, false)
    local k = 4
    while i <= #args do
        local id, ttl, deadline = args[i], args[i + 1], tonumber(args[i + 2])
        local core = args[i + 3]
        i = i + 4
        for s = 1, 4 do
            n = tonumber(args[i])
            i = hset_from(keys[k + s], args, i + 1, n, s == 1)
            redis.call('PEXPIRE', keys[k + s], ttl)
        end
        -- The core record after its sets: it says how many entries each
        -- holds.
        redis.call('SET', keys[k], core, 'PX', ttl)
        if deadline > 0 then
            redis.call('ZADD', keys[2], deadline, id)
        else
            redis.call('ZREM', keys[2], id)
        end
        k = k + 5
    end
    -- The marks of another Kafka cluster say nothing about this one.
    if redis.call('HGET', keys[1], 'cluster') ~= args[2] then
        local old = {}
        for _, f in ipairs(redis.call('HKEYS', keys[1])) do
            if string.sub(f, 1, 4) == 'src:' then old[#old + 1] = f end
        end
        for j = 1, #old, 1000 do
            redis.call('HDEL', keys[1], unpack(old, j, math.min(j + 999, #old)))
        end
    end
    local meta = {'cluster', args[2], 'off', args[3]}
    for j = 5, 4 + 2 * tonumber(args[4]), 2 do
        meta[#meta + 1] = 'src:' .. args[j]
        meta[#meta + 1] = args[j + 1]
    end
    redis.call('HSET', keys[1], unpack(meta))
    return {1}
end

-------------------------------------------------------------------------------
-- The router's bindings (docs/architecture.md, "Owner keys"): where the
-- incident of an incident_key or of a ticket lives, as an owner key.
--   <p>:rt:k:{K}        string: the owner key incident_key K is bound to
--   <p>:rt:t:{T}        string: the owner key ticket T is bound to
--   <p>:rt:t:{T}:held   list: routed sentiment naming only T, held until
--                        T is bound
-- A binding lives redis.incident_ttl_s past its last use.
-------------------------------------------------------------------------------

-- rt_get: KEYS[1] a binding; ARGV[1] ttl seconds.  The binding (kept ttl
-- more), or false.
local function rt_get(keys, args)
    local bound = redis.call('GET', keys[1])
    if bound then redis.call('EXPIRE', keys[1], tonumber(args[1])) end
    return bound
end

-- rt_bind: KEYS binding, held list; ARGV owner key, ttl seconds, held
-- limit.  Stores the binding unless one exists (the first router wins)
-- and returns {the binding, how many are held in all, held records...}:
-- the first `limit` of what is held for a ticket, to be routed there.
-- They stay held until rt_unhold, once Kafka has them: a router that dies
-- before that leaves them for the next bind (the owner drops what it
-- applied already by event id).
local function rt_bind(keys, args)
    local ttl, limit = tonumber(args[2]), tonumber(args[3])
    redis.call('SET', keys[1], args[1], 'NX')
    redis.call('EXPIRE', keys[1], ttl)
    local out = {redis.call('GET', keys[1]), redis.call('LLEN', keys[2])}
    for _, h in ipairs(redis.call('LRANGE', keys[2], 0, limit - 1)) do
        out[#out + 1] = h
    end
    return out
end

-- rt_hold: KEYS binding, held list; ARGV held ttl seconds, binding ttl
-- seconds, records...  If the ticket is bound by now, returns the binding
-- (route the records there; the binding is used, so it lives on);
-- else holds them, in order, and returns false.  Atomic with rt_bind, so
-- a record is either held before the bind, which releases it, or sees the
-- binding.
local function rt_hold(keys, args)
    local bound = redis.call('GET', keys[1])
    if bound then
        redis.call('EXPIRE', keys[1], tonumber(args[2]))
        return bound
    end
    for j = 3, #args, 1000 do
        redis.call('RPUSH', keys[2], unpack(args, j, math.min(j + 999, #args)))
    end
    redis.call('EXPIRE', keys[2], tonumber(args[1]))
    return false
end

redis.register_function('impactd_route', route)
redis.register_function('impactd_hold', hold)
redis.register_function('impactd_unhold', unhold)
redis.register_function('impactd_bind', bind)
redis.register_function('impactd_map', map)
redis.register_function('impactd_impact', impact)
redis.register_function('impactd_schedule', schedule)
redis.register_function('impactd_due', due)
redis.register_function('impactd_apply', apply)
redis.register_function('impactd_decide', decide)
redis.register_function('impactd_own', own)
redis.register_function('impactd_persist', persist)
redis.register_function('impactd_rt_get', rt_get)
redis.register_function('impactd_rt_bind', rt_bind)
redis.register_function('impactd_rt_hold', rt_hold)
-- rt_unhold is unhold: remove each record produced once, by value (another
-- router may have released and removed the same ones meanwhile, and a
-- count would take records nobody sent).
redis.register_function('impactd_rt_unhold', unhold)
