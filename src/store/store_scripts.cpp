#include "store_scripts.hpp"

#include <string>

namespace herald::store_scripts {

// Shared by every script (see the header for KEYS and ARGV). Records live at `<prefix>n:<id>`
// (hash); a case at `<prefix>case:<case_ref>` (hash: the latest event's order and status, the
// final event), its open notifications at `...:n` (set) and its timeline at `...:log` (list).
// A record's `why` is the reason it is in the schedule ('' when it is not): every change of
// schedule membership goes through sched(), unsched() or leave_schedule(), which keep the count
// per reason; accept of a fresh record (no old reason, no expiry) adds it directly.
constexpr const char* kPrelude = R"lua(
local PREFIX, AT, NOW, RETENTION = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local SCHEDULE, WHY, OUTCOMES = KEYS[1], KEYS[2], KEYS[3]

local function rec_key(nid) return PREFIX .. 'n:' .. nid end
-- Each channel has its own schedule, `<schedule>:<channel>`, claimed on its own, so that one
-- channel's backlog (behind a slow gateway) never stands in front of the other's. A notification
-- id ends with its channel (`<event id>:<channel>`).
local function due_key(nid) return SCHEDULE .. ':' .. string.match(nid, '[^:]*$') end
local function case_key(ref) return PREFIX .. 'case:' .. ref end

-- The key lives at least `ttl` ms more: its expiry is moved later, never earlier.
local function keep_for(key, ttl)
  if redis.call('PTTL', key) < ttl then redis.call('PEXPIRE', key, ttl) end
end

-- How long a case's keys must live for a notification due at `score`: to then, plus retention.
local function case_ttl(score)
  return math.max(0, (tonumber(score) or 0) - tonumber(NOW)) + tonumber(RETENTION)
end

-- A case's keys (the case, its open set, its timeline) outlive by the retention period every
-- notification of the case that waits for `score`: one deferred past the retention (a long
-- unavailable period) must still find its case when it falls due, so that a final status or a
-- newer one reached in the meantime stops it.
local function keep_case(case_ref, score)
  if not case_ref or case_ref == '' then return end
  local ttl = case_ttl(score)
  local ck = case_key(case_ref)
  keep_for(ck, ttl)
  keep_for(ck .. ':n', ttl)
  keep_for(ck .. ':log', ttl)
end

-- A lease ('sending') is short: the case's keys, refreshed when its event came, outlast it.
local function sched(nid, score, why)
  local rk = rec_key(nid)
  local r = redis.call('HMGET', rk, 'why', 'case')
  local old = r[1]
  if old and old ~= '' then redis.call('HINCRBY', WHY, old, -1) end
  redis.call('ZADD', due_key(nid), score, nid)
  redis.call('HSET', rk, 'why', why)
  redis.call('HINCRBY', WHY, why, 1)
  redis.call('PERSIST', rk)
  if why ~= 'sending' then keep_case(r[2], score) end
end

-- Takes nid out of the schedule and out of the count of `old`, its reason until now; the
-- caller clears the record's 'why' (finish does it in the HSET it makes anyway).
local function leave_schedule(nid, old)
  if old and old ~= '' then redis.call('HINCRBY', WHY, old, -1) end
  redis.call('ZREM', due_key(nid), nid)
end

-- Whether the caller holds the lease `lease` on nid: 'held'; 'done' when it no longer does
-- because this same lease ended or moved the notification already (finish, reschedule and
-- dead_letter_due mark the record with it, 'ended'): the caller is asking again for what Redis
-- did, the answer having been lost (Redis stalled past the command's deadline, and the command
-- ran when it woke); else 'lost' (the lease ran out and another sender has it).
local function lease_of(nid, lease)
  local score = redis.call('ZSCORE', due_key(nid), nid)
  if score and tonumber(score) == tonumber(lease) then return 'held' end
  if redis.call('HGET', rec_key(nid), 'ended') == lease then return 'done' end
  return 'lost'
end

local function unsched(nid)
  local rk = rec_key(nid)
  local old = redis.call('HGET', rk, 'why')
  leave_schedule(nid, old)
  if old and old ~= '' then redis.call('HSET', rk, 'why', '') end
end

-- An outcome goes to the outcomes stream and to the case's timeline.
local function publish(json, case_ref)
  redis.call('XADD', OUTCOMES, '*', 'outcome', json)
  if case_ref and case_ref ~= '' then
    local log = case_key(case_ref) .. ':log'
    redis.call('RPUSH', log, json)
    keep_for(log, tonumber(RETENTION))
  end
end

local function text_or_null(s)
  if s and s ~= '' then return s end
  return cjson.null
end

-- CONTRACT.md section 4, for the decisions taken inside a script (suppressions); the same
-- fields as outcome_json() in C++.
local function outcome(event_id, case_ref, status, channel, result, attempt, reason)
  return cjson.encode({event_id = text_or_null(event_id), case_ref = text_or_null(case_ref),
    status = text_or_null(status), channel = text_or_null(channel), result = result,
    attempt = tonumber(attempt) or 0, at = AT, reason = text_or_null(reason),
    gateway_message_id = cjson.null})
end

-- Event order: occurred_at (ms), then stream entry id ("ms-seq"). True when a is older than b.
local function entry_parts(id)
  local ms, seq = string.match(id or '', '^(%d+)-(%d+)$')
  return tonumber(ms) or 0, tonumber(seq) or 0
end
local function older(a_occ, a_entry, b_occ, b_entry)
  a_occ, b_occ = tonumber(a_occ) or 0, tonumber(b_occ) or 0
  if a_occ ~= b_occ then return a_occ < b_occ end
  local am, as = entry_parts(a_entry)
  local bm, bs = entry_parts(b_entry)
  if am ~= bm then return am < bm end
  return as < bs
end

-- A case's keys kept longer for a notification that no longer waits come back to the retention
-- period after now, or after the latest due time of what still waits: a case reference is
-- personal data, kept no longer than its notifications need it.
local function settle_case(case_ref)
  local ck = case_key(case_ref)
  local ttl = tonumber(RETENTION)
  for _, nid in ipairs(redis.call('SMEMBERS', ck .. ':n')) do
    local score = redis.call('ZSCORE', due_key(nid), nid)
    if score then ttl = math.max(ttl, case_ttl(score)) end
  end
  for _, key in ipairs({ck, ck .. ':n', ck .. ':log'}) do
    if redis.call('PTTL', key) > ttl then redis.call('PEXPIRE', key, ttl) end
  end
end

-- Ends a notification for good: the event (personal data) is dropped, the record leaves the
-- schedule and the case's open set, and expires after the retention period.
local function close(nid, state, case_ref, json)
  local rk = rec_key(nid)
  unsched(nid)
  redis.call('HSET', rk, 'state', state)
  redis.call('HDEL', rk, 'event')
  redis.call('PEXPIRE', rk, RETENTION)
  if case_ref and case_ref ~= '' then
    redis.call('SREM', case_key(case_ref) .. ':n', nid)
    settle_case(case_ref)
  end
  if json then publish(json, case_ref) end
end

-- Why notifications of this event must not go out (the case finished, or a newer status came
-- in), and 'final' or 'stale'; nil when they may.
local function moved_on(case_ref, event_id, occ, entry)
  if not case_ref or case_ref == '' then return nil end
  local c = redis.call('HMGET', case_key(case_ref), 'occ', 'entry', 'final', 'status')
  if c[3] and c[3] ~= '' and c[3] ~= event_id then
    return 'case reached a final status (' .. (c[4] or '') .. ')', 'final'
  end
  if c[1] and older(occ, entry, c[1], c[2]) then
    return 'superseded by a newer status (' .. (c[4] or '') .. ')', 'stale'
  end
  return nil
end

-- The case moved on: its notifications still waiting for their time will not go out. Those
-- being sent right now finish; those sent and awaiting a receipt are checked again if a receipt
-- ever schedules them.
local function cancel_waiting(case_ref, except_event, reason)
  local set = case_key(case_ref) .. ':n'
  for _, nid in ipairs(redis.call('SMEMBERS', set)) do
    local r = redis.call('HMGET', rec_key(nid), 'state', 'event_id', 'status', 'channel', 'attempt')
    if not r[1] then
      redis.call('SREM', set, nid)
    elseif r[1] == 'deferred' and r[2] ~= except_event then
      close(nid, 'suppressed', case_ref,
            outcome(r[2], case_ref, r[3], r[4], 'suppressed', r[5], reason))
    end
  end
end

-- A new record for notification n of event e (as accept takes them, below). A fresh record has
-- no reason to uncount and no expiry to clear: sched() inlined, without its HGET and PERSIST
-- (accept runs this for every notification).
local function create(e, n, ck)
  redis.call('HSET', rec_key(n.nid), 'state', n.st, 'entry', e.entry, 'event_id', e.id,
             'event', e.event, 'case', e.case, 'status', e.status, 'occ', e.occ,
             'channel', n.ch, 'attempt', '1', 'retries', '0', 'failed', '', 'why', n.why)
  redis.call('ZADD', due_key(n.nid), n.score, n.nid)
  redis.call('HINCRBY', WHY, n.why, 1)
  redis.call('SADD', ck .. ':n', n.nid)
  if n.out ~= '' then publish(n.out, e.case) end
  if n.st ~= 'sending' then keep_case(e.case, n.score) end
end

-- The email a refused SMS falls back to (e: its event as accept takes it, with one
-- notification) is recorded by the same script that records the refusal, so that neither is
-- kept without the other: herald dying in between, or Redis failing, would lose the email.
-- check_fallback only reads (a script that fails part way keeps what it wrote): what
-- add_fallback will do, as accept would decide it.
local function check_fallback(e)
  local entry = redis.call('HGET', rec_key(e.n[1].nid), 'entry')
  if entry == e.entry then return 'redelivered' end  -- the email went out with the SMS
  if entry then return 'duplicate' end
  local why_not, kind = moved_on(e.case, e.id, e.occ, e.entry)
  if why_not then return kind, why_not end
  return 'created'
end

local function add_fallback(e, verdict, why_not)
  local n = e.n[1]
  if verdict == 'created' then
    local ck = case_key(e.case)
    create(e, n, ck)
    keep_for(ck .. ':n', tonumber(RETENTION))
  elseif verdict == 'stale' or verdict == 'final' then
    publish(outcome(e.id, e.case, e.status, n.ch, 'suppressed', 0, why_not), e.case)
  end
end
)lua";

const std::string& accept() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- KEYS[4] events stream; ARGV[5] consumer group; ARGV[6] a JSON array of events:
--   {entry, id, case, status, occ, final ("1"/"0"), event (the JSON text),
--    n: [{nid, ch, st ("sending"/"deferred"), score, why, out (outcome JSON or ""),
--         fb ("1": a replayed fallback email, see below)}]}
-- Returns, per event, one result per notification: created, redelivered, duplicate, stale, final.
local STREAM, GROUP = KEYS[4], ARGV[5]
local events = cjson.decode(ARGV[6])
local results, acks = {}, {}
-- Per case, the notifications this call created to be sent at once: a newer event of the case
-- later in the same batch cancels them here, since the caller sends them without asking again
-- (cancel_waiting only sees notifications waiting in the schedule).
local sending_now = {}
for i, e in ipairs(events) do
  local res, fresh = {}, {}
  for j, n in ipairs(e.n) do
    local r = redis.call('HMGET', rec_key(n.nid), 'entry', 'state')
    local entry = r[1]
    -- It could not be sent as configured when it fell due and was dead-lettered: this is its
    -- event replayed after the fix (herald dead replay). It starts again.
    local restart = entry and r[2] == 'invalid' and entry ~= e.entry
    local not_a_fallback = false
    if n.fb == '1' and (restart or not entry) then
      -- An email the recipient did not choose goes only as the fallback of their text: while
      -- that stands refused or given up on.
      local sms = redis.call('HGET', rec_key(e.id .. ':sms'), 'state')
      not_a_fallback = sms ~= 'rejected' and sms ~= 'failed'
    end
    if restart and not not_a_fallback then
      redis.call('DEL', rec_key(n.nid))
      entry = nil
    end
    if not_a_fallback then
      res[j] = 'duplicate'
      publish(outcome(e.id, e.case, e.status, n.ch, 'suppressed', 0,
                      'replayed fallback email: its text was not refused or given up on'), e.case)
    elseif not entry then
      fresh[#fresh + 1] = j
    elseif entry == e.entry then
      res[j] = 'redelivered'  -- read again after a crash: its fate is already in hand
    else
      res[j] = 'duplicate'    -- the same event id published again: never sent twice
      publish(outcome(e.id, e.case, e.status, n.ch, 'suppressed', 0,
                      'duplicate: notification ' .. n.nid .. ' was already handled'), e.case)
    end
  end
  if #fresh > 0 then
    local why_not, kind = moved_on(e.case, e.id, e.occ, e.entry)
    if why_not then
      for _, j in ipairs(fresh) do
        res[j] = kind
        publish(outcome(e.id, e.case, e.status, e.n[j].ch, 'suppressed', 0, why_not), e.case)
      end
    else
      local ck = case_key(e.case)
      redis.call('HSET', ck, 'occ', e.occ, 'entry', e.entry, 'event', e.id, 'status', e.status)
      if e.final == '1' then redis.call('HSET', ck, 'final', e.id) end
      keep_for(ck, tonumber(RETENTION))
      local why, kind = 'superseded by a newer status (' .. e.status .. ')', 'stale'
      if e.final == '1' then
        why, kind = 'case reached a final status (' .. e.status .. ')', 'final'
      end
      cancel_waiting(e.case, e.id, why)
      for _, s in ipairs(sending_now[e.case] or {}) do
        close(s.nid, 'suppressed', e.case,
              outcome(s.id, e.case, s.status, s.ch, 'suppressed', 0, why))
        results[s.i][s.j] = kind
      end
      sending_now[e.case] = {}
      for _, j in ipairs(fresh) do
        local n = e.n[j]
        create(e, n, ck)
        res[j] = 'created'
        if n.st == 'sending' then
          table.insert(sending_now[e.case], {nid = n.nid, i = i, j = j, id = e.id,
                                             status = e.status, ch = n.ch})
        end
      end
      keep_for(ck .. ':n', tonumber(RETENTION))
    end
  end
  results[i] = res
  acks[#acks + 1] = e.entry
end
-- In chunks: Lua's unpack() fails above about 8,000 values (redis.batch_size allows 10,000),
-- and by then every record above is written: the batch would be replayed, and fail, for ever.
for from = 1, #acks, 1000 do
  redis.call('XACK', STREAM, GROUP, unpack(acks, from, math.min(from + 999, #acks)))
end
return results
)lua";
  return text;
}

const std::string& claim() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- ARGV[5] lease expiry (ms), ARGV[6] how many, ARGV[7] the channel. Earliest due first.
local key = SCHEDULE .. ':' .. ARGV[7]
local ids = redis.call('ZRANGEBYSCORE', key, '-inf', NOW, 'LIMIT', 0, tonumber(ARGV[6]))
local claimed = {}
for _, nid in ipairs(ids) do
  if redis.call('EXISTS', rec_key(nid)) == 1 then
    sched(nid, ARGV[5], 'sending')
    claimed[#claimed + 1] = nid
  else
    redis.call('ZREM', key, nid)
  end
end
return claimed
)lua";
  return text;
}

const std::string& split_schedule() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- ARGV[5] how many. Moves the earliest entries of the one schedule herald 0.1.0 kept for both
-- channels (the sorted set at KEYS[1] itself) to their channel's schedule, scores (due times,
-- leases) as they were. An id that does not end with a channel herald knows is none of its
-- notifications (every one ends with ':email' or ':sms'): it is dropped, and counted.
-- Returns {how many moved, how many are left, how many were dropped}.
local old = redis.call('ZRANGE', SCHEDULE, 0, tonumber(ARGV[5]) - 1, 'WITHSCORES')
local taken, moved, dropped = {}, 0, 0
for i = 1, #old, 2 do
  local channel = string.match(old[i], ':([^:]*)$')
  if channel == 'email' or channel == 'sms' then
    redis.call('ZADD', due_key(old[i]), 'NX', old[i + 1], old[i])  -- a newer entry stays
    moved = moved + 1
  else
    dropped = dropped + 1
  end
  taken[#taken + 1] = old[i]
end
if #taken > 0 then redis.call('ZREM', SCHEDULE, unpack(taken)) end
return {moved, redis.call('ZCARD', SCHEDULE), dropped}
)lua";
  return text;
}

const std::string& start_send() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- ARGV[5] notification id, ARGV[6] the lease held, ARGV[7] the new lease, ARGV[8] "1" to return
-- the record. Returns {'ok', field, value, ...}, {'lost'}, {'gone'} or
-- {'suppressed', reason, channel}.
local nid = ARGV[5]
local score = redis.call('ZSCORE', due_key(nid), nid)
if not score or tonumber(score) ~= tonumber(ARGV[6]) then return {'lost'} end
local rk = rec_key(nid)
local r = redis.call('HMGET', rk, 'state', 'event_id', 'case', 'status', 'channel', 'attempt',
                     'occ', 'entry')
if r[1] ~= 'deferred' and r[1] ~= 'sending' then
  unsched(nid)
  return {'gone'}
end
local why_not = moved_on(r[3], r[2], r[7], r[8])
if why_not then
  close(nid, 'suppressed', r[3], outcome(r[2], r[3], r[4], r[5], 'suppressed', r[6], why_not))
  return {'suppressed', why_not, r[5]}
end
sched(nid, ARGV[7], 'sending')
redis.call('HSET', rk, 'state', 'sending')
local out = {'ok'}
if ARGV[8] == '1' then
  for _, v in ipairs(redis.call('HGETALL', rk)) do out[#out + 1] = v end
end
return out
)lua";
  return text;
}

const std::string& renew() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- ARGV[5] notification id, ARGV[6] the lease held, ARGV[7] the new lease, ARGV[8...] leases
-- asked for before whose answer was lost (Redis may have made any of them).
local score = redis.call('ZSCORE', due_key(ARGV[5]), ARGV[5])
if not score then return 0 end
local held = tonumber(score) == tonumber(ARGV[6])
for i = 8, #ARGV do held = held or tonumber(score) == tonumber(ARGV[i]) end
if not held then return 0 end
redis.call('ZADD', due_key(ARGV[5]), ARGV[7], ARGV[5])
return 1
)lua";
  return text;
}

const std::string& finish() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- ARGV[5] notification id, ARGV[6] the lease held, ARGV[7] state (sent, rejected, failed,
-- suppressed, invalid), ARGV[8] outcome JSON, ARGV[9] gateway message id, ARGV[10] (optional,
-- for an SMS rejected or failed) the fallback email, see check_fallback.
-- Returns 1, or 0 when the lease was lost to another sender; with a fallback, {1, what became of
-- it (created, redelivered, duplicate, stale, final)}. Asked again with the same lease after it
-- was done, the same answer (the fallback's fate as the first call decided it).
local nid = ARGV[5]
local rk = rec_key(nid)
local lease = lease_of(nid, ARGV[6])
if lease == 'lost' then return 0 end
local with_fallback = ARGV[10] and ARGV[10] ~= ''
if lease == 'done' then
  if with_fallback then return {1, redis.call('HGET', rk, 'fallback') or 'duplicate'} end
  return 1
end
local fallback, verdict, why_not
if with_fallback then
  fallback = cjson.decode(ARGV[10])
  verdict, why_not = check_fallback(fallback)
end
local r = redis.call('HMGET', rk, 'case', 'why', 'attempt')
local case_ref = r[1]
if ARGV[7] == 'sent' then
  -- The event stays until a receipt says delivered (or the record expires): a receipt saying the
  -- attempt failed needs it to try again. The HMGET above already read the reason (every
  -- notification sent ends here: no second HGET, no separate HSET of 'why').
  leave_schedule(nid, r[2])
  redis.call('HSET', rk, 'state', 'sent', 'sent_at', NOW, 'gw_id', ARGV[9], 'why', '',
             'ended', ARGV[6])
  redis.call('PEXPIRE', rk, RETENTION)
  if ARGV[9] ~= '' then
    redis.call('SET', PREFIX .. 'gw:' .. ARGV[9], nid .. ' ' .. (r[3] or '1'), 'PX', RETENTION)
  end
  publish(ARGV[8], case_ref)
else
  close(nid, ARGV[7], case_ref, ARGV[8])
  redis.call('HSET', rk, 'ended', ARGV[6])
end
if fallback then
  add_fallback(fallback, verdict, why_not)
  redis.call('HSET', rk, 'fallback', verdict)
  return {1, verdict}
end
return 1
)lua";
  return text;
}

const std::string& reschedule() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- ARGV[5] notification id, ARGV[6] the lease held, ARGV[7] due (ms), ARGV[8] why, ARGV[9]
-- attempt, ARGV[10] retries, ARGV[11] outcome JSON or "", ARGV[12] when the transient failures
-- began (ms, "" when there are none). Returns 1 (also when asked again with the same lease after
-- it was done), or 0 when the lease was lost.
local nid = ARGV[5]
local lease = lease_of(nid, ARGV[6])
if lease ~= 'held' then return lease == 'done' and 1 or 0 end
local rk = rec_key(nid)
sched(nid, ARGV[7], ARGV[8])
redis.call('HSET', rk, 'state', 'deferred', 'attempt', ARGV[9], 'retries', ARGV[10],
           'failing_since', ARGV[12], 'ended', ARGV[6])
if ARGV[11] ~= '' then publish(ARGV[11], redis.call('HGET', rk, 'case')) end
return 1
)lua";
  return text;
}

const std::string& release() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- ARGV[5] the reason (retry, queued), ARGV[6...] pairs: a notification id and the lease held on
-- it. Each lease still held ends with the notification due again at once (due a millisecond
-- apart, up to now, in the order given, so that they are claimed in that order), its attempt and
-- failures as they were; one never started is 'deferred' again. Nothing is published: nothing
-- was decided. Returns how many were released.
local released = 0
local first = tonumber(NOW) - math.floor((#ARGV - 5) / 2)
for i = 6, #ARGV - 1, 2 do
  local nid, lease = ARGV[i], ARGV[i + 1]
  local score = redis.call('ZSCORE', due_key(nid), nid)
  if score and tonumber(score) == tonumber(lease) then
    sched(nid, first + (i - 4) / 2, ARGV[5])
    local rk = rec_key(nid)
    if redis.call('HGET', rk, 'state') == 'sending' then redis.call('HSET', rk, 'state', 'deferred') end
    released = released + 1
  end
end
return released
)lua";
  return text;
}

const std::string& receipt_lookup() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- ARGV[5] the id a receipt names: a notification id, or a gateway message id.
-- Returns {notification id, attempt the gateway id was given for ("" for a notification id),
-- field, value, ...}, or {} when there is no such notification.
local id = ARGV[5]
local nid, attempt = id, ''
if redis.call('EXISTS', rec_key(id)) == 0 then
  local hit = redis.call('GET', PREFIX .. 'gw:' .. id)
  if not hit then return {} end
  nid, attempt = string.match(hit, '^(.*) (%d+)$')
  if not nid then return {} end
end
local out = {nid, attempt}
for _, v in ipairs(redis.call('HGETALL', rec_key(nid))) do out[#out + 1] = v end
if #out == 2 then return {} end
return out
)lua";
  return text;
}

const std::string& apply_receipt() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- ARGV[5] notification id, ARGV[6] the attempt the receipt is for, ARGV[7] action:
--   delivered | rejected | failed (given up) | next (the attempt failed: the next one is due at
--   ARGV[8]) | resend (the provider failed, not the contact: due at ARGV[8], same attempt)
-- ARGV[8] due (ms), ARGV[9] attempt from now on, ARGV[10] retries, ARGV[11] failed attempts
-- (comma-separated ms), ARGV[12] outcome JSON or "", ARGV[13] timeline entry JSON or "",
-- ARGV[14] when the transient failures began (ms, "" when there are none), ARGV[15] (optional,
-- for an SMS rejected or failed) the fallback email, see check_fallback.
-- Returns 'applied', 'unknown', 'early' (that attempt is being sent, or waits to be sent again
-- after a transient failure: the provider has it, herald has not recorded the send yet; nothing
-- changes and the receipt is taken again later), or 'duplicate' (applied already, or for an
-- earlier attempt); applied with a fallback, {'applied', what became of it}. 'delivered' is
-- applied for any attempt made, while the notification is sent or waits to be sent again.
local nid = ARGV[5]
local rk = rec_key(nid)
local r = redis.call('HMGET', rk, 'state', 'attempt', 'case', 'retries')
if not r[1] then return 'unknown' end
if ARGV[7] == 'delivered' then
  -- Whatever send it is about, the customer has the message: what waits (a later attempt, a
  -- resend) is closed with it. A send in flight finishes first.
  if r[1] == 'sending' then return 'early' end
  local was_sent = r[1] == 'sent' or
    (r[1] == 'deferred' and (tonumber(r[2]) > 1 or (tonumber(r[4]) or 0) > 0))
  if not was_sent or tonumber(ARGV[6]) > tonumber(r[2]) then return 'duplicate' end
else
  if r[2] == ARGV[6] and (r[1] == 'sending' or (r[1] == 'deferred' and (tonumber(r[4]) or 0) > 0)) then
    return 'early'
  end
  if r[1] ~= 'sent' or r[2] ~= ARGV[6] then return 'duplicate' end
end
local fallback, verdict, why_not
if (ARGV[7] == 'rejected' or ARGV[7] == 'failed') and ARGV[15] and ARGV[15] ~= '' then
  fallback = cjson.decode(ARGV[15])
  verdict, why_not = check_fallback(fallback)
end
local action, case_ref = ARGV[7], r[3]
if action == 'delivered' then
  close(nid, 'delivered', case_ref, nil)
elseif action == 'rejected' or action == 'failed' then
  close(nid, action, case_ref, ARGV[12])
elseif action == 'next' or action == 'resend' then
  if action == 'next' then sched(nid, ARGV[8], 'next_attempt') else sched(nid, ARGV[8], 'retry') end
  -- send_since: no request of the send now due was made before it (see NotificationRecord).
  redis.call('HSET', rk, 'state', 'deferred', 'attempt', ARGV[9], 'retries', ARGV[10],
             'failed', ARGV[11], 'failing_since', ARGV[14], 'send_since', ARGV[8])
  if ARGV[12] ~= '' then publish(ARGV[12], case_ref) end
else
  return redis.error_reply('unknown receipt action ' .. action)
end
if ARGV[13] ~= '' and case_ref then
  local log = case_key(case_ref) .. ':log'
  redis.call('RPUSH', log, ARGV[13])
  keep_for(log, tonumber(RETENTION))
end
if fallback then
  add_fallback(fallback, verdict, why_not)
  return {'applied', verdict}
end
return 'applied'
)lua";
  return text;
}

const std::string& dead_letter() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- KEYS[4] dead-letter stream, KEYS[5] events stream; ARGV[5] consumer group, ARGV[6] entry id
-- ("" to write without acknowledging), ARGV[7] outcome JSON, ARGV[8] reason, ARGV[9] case
-- reference read from the entry ("" when none), ARGV[10...] the entry's fields.
local fields = {}
for i = 10, #ARGV do fields[#fields + 1] = ARGV[i] end
fields[#fields + 1] = 'reason'
fields[#fields + 1] = ARGV[8]
redis.call('XADD', KEYS[4], '*', unpack(fields))
publish(ARGV[7], ARGV[9])
if ARGV[6] ~= '' then redis.call('XACK', KEYS[5], ARGV[5], ARGV[6]) end
return 1
)lua";
  return text;
}

const std::string& dead_letter_due() {
  static const std::string text = std::string(kPrelude) + R"lua(
-- KEYS[4] dead-letter stream; ARGV[5] notification id, ARGV[6] the lease held, ARGV[7] outcome
-- JSON, ARGV[8] reason, ARGV[9...] the dead letter's fields. A notification that cannot be sent
-- when it falls due: its dead letter, its end (invalid) and its one outcome, in one step.
-- Returns 1 (also when asked again with the same lease after it was done: one dead letter), or 0
-- when the lease was lost.
local nid = ARGV[5]
local lease = lease_of(nid, ARGV[6])
if lease ~= 'held' then return lease == 'done' and 1 or 0 end
local fields = {}
for i = 9, #ARGV do fields[#fields + 1] = ARGV[i] end
fields[#fields + 1] = 'reason'
fields[#fields + 1] = ARGV[8]
redis.call('XADD', KEYS[4], '*', unpack(fields))
local rk = rec_key(nid)
close(nid, 'invalid', redis.call('HGET', rk, 'case'), ARGV[7])
redis.call('HSET', rk, 'ended', ARGV[6])
return 1
)lua";
  return text;
}

}  // namespace herald::store_scripts
