/// The Lua scripts that read and change shared thread state, each one atomic on the server.
///
/// Key layout under the prefix P (every key with a TTL; a thread's keys share the hash tag `{T}`):
/// - `P{T}`: the thread, a hash (`v` version, raised by every change, starting from the server's
///   time in microseconds so that a thread made again under its key starts past any earlier one;
///   `a` audience, `f`/`l` first and last seen, `b` block end, `tr` last trip, `n` storms,
///   `p`/`s` reply-alls passed and stopped, `d` deliveries
///   prevented, `lr` last reply-all, `q` window sequence, `r` root id, `sj` subject, `h` subject hash);
/// - `P{T}:w`: passed reply-alls in the window, a sorted set scored by time (member `seq|audience`);
/// - `P{T}:seen`: reply-alls judged, by Message-ID hash (`p` passed, `s` stopped), so a retry
///   counts once;
/// - `P{T}:rp`: hashes of distinct reply-all senders (at most 1,024);
/// - `P{m:M}`: the thread of Message-ID hash M; `P{s:H}`: the thread of subject hash H;
/// - `Pstorms`: threads that tripped or were frozen, scored by when;
/// - `Plearned`: learned list sizes by address hash.
/// T, M and H are 16 hex digits of `MessageKey` hashes: no address is stored in clear.
///
/// Time is the server's (`TIME`), so the hosts' clocks need not agree; durations travel as seconds.
enum SharedScripts {
    /// Shared helpers, prepended to the scripts that use them.
    private static let common = """
    if redis.replicate_commands then redis.replicate_commands() end
    local P = ARGV[1]
    local clock = redis.call('TIME')
    local now = tonumber(clock[1])
    -- A new thread's first version: the server's time in microseconds, so a thread created again
    -- under the same key (expired, or lost in a restart) never repeats a version a host saw before.
    local first_version = now * 1000000 + tonumber(clock[2])
    local function tkey(t) return P .. '{' .. t .. '}' end
    local function mkey(m) return P .. '{m:' .. m .. '}' end
    local function skey(h) return P .. '{s:' .. h .. '}' end
    local function exists(t) return redis.call('EXISTS', tkey(t)) == 1 end
    local function resolve(m)
      local t = redis.call('GET', mkey(m))
      if t and exists(t) then return t end
      return false
    end
    -- How long a thread's keys live: its TTL from now, or past the end of its block.
    local function life(ttl, b)
      if b > now and b - now + 3600 > ttl then return b - now + 3600 end
      return ttl
    end
    local function expire_thread(t, ttl, b)
      local k = tkey(t)
      local e = life(ttl, b)
      redis.call('EXPIRE', k, e)
      redis.call('EXPIRE', k .. ':w', e)
      redis.call('EXPIRE', k .. ':seen', e)
      redis.call('EXPIRE', k .. ':rp', e)
      redis.call('SET', mkey(t), t, 'EX', e)
      return e
    end
    -- The thread as the rules see it, after ending a due block and pruning the window.
    local function settle(t, window, quiet)
      local k = tkey(t)
      local h = redis.call('HMGET', k, 'v', 'b', 'lr')
      local v, b, lr = tonumber(h[1]) or 0, tonumber(h[2]) or 0, tonumber(h[3]) or 0
      local changed, expired = false, false
      if b ~= 0 and (b <= now or (quiet >= 0 and lr ~= 0 and now - lr >= quiet)) then
        redis.call('HSET', k, 'b', 0)
        redis.call('DEL', k .. ':w')
        changed, expired = true, true
      end
      if window > 0 and redis.call('ZREMRANGEBYSCORE', k .. ':w', '-inf', now - window) > 0 then changed = true end
      if changed then v = redis.call('HINCRBY', k, 'v', 1) end
      return expired
    end
    -- { version, audience, blockedUntil, repliesInWindow, deliveriesInWindow, rootID, subject,
    --   trippedAt, storms }
    local function view(t)
      local k = tkey(t)
      local h = redis.call('HMGET', k, 'v', 'a', 'b', 'r', 'sj', 'tr', 'n')
      local members = redis.call('ZRANGE', k .. ':w', 0, -1)
      local d = 0
      for _, m in ipairs(members) do d = d + (tonumber(string.match(m, '|(%d+)$')) or 0) end
      local b = tonumber(h[3]) or 0
      if b <= now then b = 0 end
      return { tonumber(h[1]) or 0, tonumber(h[2]) or 0, b, #members, d, h[4] or '', h[5] or '',
               tonumber(h[6]) or 0, tonumber(h[7]) or 0 }
    end
    -- The answer most scripts give: { now, thread, view... }, the thread's keys kept alive for
    -- `ttl` (past its block) when a ttl is given.
    local function shown(t, ttl)
      local out = view(t)
      if ttl then expire_thread(t, ttl, out[3]) end
      table.insert(out, 1, t)
      table.insert(out, 1, now)
      return out
    end
    local function create(t, audience, rootid, subject, subjecthash, ttl)
      local k = tkey(t)
      redis.call('HSET', k, 'v', first_version, 'a', audience, 'f', now, 'l', now, 'b', 0, 'r', rootid, 'sj', subject,
                 'h', subjecthash)
      redis.call('SET', mkey(t), t, 'EX', ttl)
      if subjecthash ~= '' then redis.call('SET', skey(subjecthash), t, 'EX', ttl) end
    end
    local function raise_audience(t, audience)
      local k = tkey(t)
      if audience > (tonumber(redis.call('HGET', k, 'a')) or 0) then
        redis.call('HSET', k, 'a', audience)
        redis.call('HINCRBY', k, 'v', 1)
      end
    end
    local function note_storm(t, ttl)
      redis.call('ZADD', P .. 'storms', now, t)
      redis.call('ZREMRANGEBYSCORE', P .. 'storms', '-inf', now - ttl)
      redis.call('EXPIRE', P .. 'storms', ttl)
    end
    """

    /// A new message to a large audience: starts (or refreshes) its thread.
    /// ARGV: prefix, ttl, thread hex, audience, subject hash hex ('' for none), subject.
    /// Returns `{ thread, view... }`.
    static let announce = RedisScript(common + "\n" + """
    local ttl, t, audience, sh, subject = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6]
    if exists(t) then
      raise_audience(t, audience)
      redis.call('HSET', tkey(t), 'l', now)
      if subject ~= '' then redis.call('HSET', tkey(t), 'sj', subject, 'h', sh) end
      if sh ~= '' then redis.call('SET', skey(sh), t, 'EX', ttl) end
    else
      create(t, audience, '', subject, sh, ttl)
    end
    return shown(t, ttl)
    """)

    /// A reply-all: finds or starts its thread, then either shows the thread (when `expected`
    /// is not its version: the caller's rule must look again) or records the caller's ruling.
    /// ARGV: prefix, window, ttl, quiet (-1 none), expected version (-1: only look), stop rule
    /// ('' passes), block ('', 'trip', 'extend'), block seconds, audience, own id hex (''), root hex,
    /// subject hash hex (''), root id, subject, sender hash hex, link limit, expected thread hex
    /// (the ruling holds only for that thread at that version), parents hex...
    /// Returns `{ now, kind, thread, view..., events... }`, kind `state`, `ok` or `repeat`.
    static let replyAll = RedisScript(common + "\n" + """
    local window, ttl, quiet, expected = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
    local stop, block, seconds, audience = ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
    local own, root, sh, rootid, subject, sender = ARGV[10], ARGV[11], ARGV[12], ARGV[13], ARGV[14], ARGV[15]
    local links, expected_thread = tonumber(ARGV[16]), ARGV[17]
    local t = false
    for i = 18, #ARGV do
      t = resolve(ARGV[i])
      if t then break end
    end
    if not t and #ARGV < 18 and sh ~= '' then
      local c = redis.call('GET', skey(sh))
      if c and exists(c) then t = c end
    end
    if not t then t = resolve(root) end
    if not t and exists(root) then t = root end
    if not t then
      t = root
      create(t, audience, rootid, subject, sh, ttl)
      for i = 18, #ARGV do redis.call('SET', mkey(ARGV[i]), t, 'EX', ttl, 'NX') end
    end
    local k = tkey(t)
    local cur = redis.call('HMGET', k, 'r', 'sj')
    if (cur[1] or '') == '' and rootid ~= '' then redis.call('HSET', k, 'r', rootid) end
    if (cur[2] or '') == '' and subject ~= '' then redis.call('HSET', k, 'sj', subject) end
    raise_audience(t, audience)
    local events = {}
    if settle(t, window, quiet) then table.insert(events, 'expired') end
    local prior = false
    if own ~= '' then prior = redis.call('HGET', k .. ':seen', own) end
    local v = view(t)
    local function answer(kind)
      local out = { now, kind, t }
      for _, x in ipairs(v) do table.insert(out, x) end
      for _, e in ipairs(events) do table.insert(out, e) end
      return out
    end
    if prior == 'p' then
      redis.call('HSET', k, 'l', now)
      expire_thread(t, ttl, v[3])
      return answer('repeat')
    end
    if expected ~= v[1] or expected_thread ~= t then
      expire_thread(t, ttl, v[3])
      return answer('state')
    end
    redis.call('HSET', k, 'l', now, 'lr', now)
    if stop ~= '' then
      if prior ~= 's' then
        redis.call('HINCRBY', k, 's', 1)
        redis.call('HINCRBY', k, 'd', audience)
      end
      if own ~= '' then redis.call('HSET', k .. ':seen', own, 's') end
    else
      local seq = redis.call('HINCRBY', k, 'q', 1)
      redis.call('ZADD', k .. ':w', now, seq .. '|' .. audience)
      redis.call('HINCRBY', k, 'p', 1)
      if sender ~= '' and redis.call('SCARD', k .. ':rp') < 1024 then redis.call('SADD', k .. ':rp', sender) end
      if own ~= '' then
        redis.call('HSET', k .. ':seen', own, 'p')
        if redis.call('HINCRBY', k, 'mc', 1) <= links then redis.call('SET', mkey(own), t, 'EX', ttl, 'NX') end
      end
    end
    if block == 'trip' then
      redis.call('HSET', k, 'b', now + seconds, 'tr', now)
      redis.call('HINCRBY', k, 'n', 1)
      note_storm(t, ttl)
      table.insert(events, 'tripped')
    elseif block == 'extend' then
      local b = tonumber(redis.call('HGET', k, 'b')) or 0
      if now + seconds > b then redis.call('HSET', k, 'b', now + seconds) end
    end
    redis.call('HINCRBY', k, 'v', 1)
    v = view(t)
    expire_thread(t, ttl, v[3])
    return answer('ok')
    """)

    /// Finds the thread of the first known parent. ARGV: prefix, parents hex...
    /// Returns `{ now, thread, view... }`, or `{ now }` when none is known.
    static let find = RedisScript(common + "\n" + """
    for i = 2, #ARGV do
      local t = resolve(ARGV[i])
      if t then return shown(t) end
    end
    return { now }
    """)

    /// Counts a stopped reply (not a reply-all) in a thread. ARGV: prefix, ttl, thread hex, audience.
    static let countStop = RedisScript(common + "\n" + """
    local ttl, t, audience = tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
    if not exists(t) then return 0 end
    local k = tkey(t)
    redis.call('HSET', k, 'l', now)
    redis.call('HINCRBY', k, 's', 1)
    redis.call('HINCRBY', k, 'd', audience)
    expire_thread(t, ttl, tonumber(redis.call('HGET', k, 'b')) or 0)
    return 1
    """)

    /// Lifts a block. ARGV: prefix, ttl, thread hex. Returns `{ now, thread, view... }`, or
    /// `{ now }` when the thread is not blocked (or not known).
    static let release = RedisScript(common + "\n" + """
    local ttl, t = tonumber(ARGV[2]), ARGV[3]
    if not exists(t) then return { now } end
    local k = tkey(t)
    if (tonumber(redis.call('HGET', k, 'b')) or 0) <= now then return { now } end
    redis.call('HSET', k, 'b', 0)
    redis.call('DEL', k .. ':w')
    redis.call('HINCRBY', k, 'v', 1)
    return shown(t, ttl)
    """)

    /// Blocks a thread for `seconds` from now, starting it when unknown. Mode `0` (an admin's
    /// freeze) sets the block; `1` (a host writing back what it decided alone) only lengthens it
    /// and counts no new storm while one is in force; `2` (a host restoring what a restarted
    /// server lost) writes only a thread the server does not know.
    /// ARGV: prefix, ttl, thread hex, seconds, root id, subject, audience, mode.
    /// Returns `{ now, thread, view... }`.
    static let block = RedisScript(common + "\n" + """
    local ttl, t, seconds, rootid, subject, audience, mode =
      tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], tonumber(ARGV[7]), ARGV[8]
    local existed = exists(t)
    if not (mode == '2' and existed) then
      if not existed then create(t, audience, rootid, subject, '', ttl) end
      local k = tkey(t)
      raise_audience(t, audience)
      local b = tonumber(redis.call('HGET', k, 'b')) or 0
      local until_ = now + seconds
      if mode == '0' or b < until_ then
        if mode == '0' or b <= now then
          redis.call('HSET', k, 'tr', now)
          redis.call('HINCRBY', k, 'n', 1)
          note_storm(t, ttl)
        end
        redis.call('HSET', k, 'b', until_, 'l', now)
        redis.call('HINCRBY', k, 'v', 1)
      end
    end
    return shown(t, ttl)
    """)

    /// One thread for an admin. ARGV: prefix, thread hex. Returns `{ now }` when unknown, else
    /// `{ now, thread, view..., first, last, passed, stopped, prevented, repliers }`.
    static let summary = RedisScript(common + "\n" + """
    local t = ARGV[2]
    if not exists(t) then return { now } end
    local k = tkey(t)
    local out = shown(t)
    local h = redis.call('HMGET', k, 'f', 'l', 'p', 's', 'd')
    for i = 1, 5 do table.insert(out, tonumber(h[i]) or 0) end
    table.insert(out, redis.call('SCARD', k .. ':rp'))
    return out
    """)

    /// Learned list sizes: raises each given size and returns every size known.
    /// ARGV: prefix, ttl, limit, then pairs of address hash hex and size. Returns a flat list.
    static let learn = RedisScript(common + "\n" + """
    local ttl, limit = tonumber(ARGV[2]), tonumber(ARGV[3])
    local key = P .. 'learned'
    for i = 4, #ARGV, 2 do
      local old = tonumber(redis.call('HGET', key, ARGV[i]))
      local new = tonumber(ARGV[i + 1])
      if old then
        if new > old then redis.call('HSET', key, ARGV[i], new) end
      elseif redis.call('HLEN', key) < limit then
        redis.call('HSET', key, ARGV[i], new)
      end
    end
    redis.call('EXPIRE', key, ttl)
    return redis.call('HGETALL', key)
    """)
}
