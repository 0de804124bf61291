// The Lua scripts of the Redis driver. Each one touches only keys of one topic (one hash tag, so one Cluster
// slot) and runs atomically: an append writes its events to every partition, the source checkpoint and the
// idempotency record at once, and retention decides and trims in one step. Scripts report misuse with errors
// starting `SLUICE_…`, which redis.ts turns into the contract's errors.
import { ENTRY_FIELD } from './redis-entry.js';

// Stream ids are compared as numbers; the ms part keeps its text form when an id is rebuilt, because Lua 5.1
// would print a large number in exponent notation.
const IDS = `
local function id_parts(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return ms, tonumber(seq)
end
local function id_less(a, b)
  local am, as = id_parts(a)
  local bm, bs = id_parts(b)
  am = tonumber(am)
  bm = tonumber(bm)
  return am < bm or (am == bm and as < bs)
end
local function id_next(id)
  local ms, seq = id_parts(id)
  return ms .. '-' .. string.format('%d', seq + 1)
end
local function id_ms(id)
  return tonumber((id_parts(id)))
end
local function groups_of(key)
  local reply = redis.pcall('XINFO', 'GROUPS', key)
  if reply.err then return {} end
  local groups = {}
  for _, flat in ipairs(reply) do
    local g = {}
    for i = 1, #flat, 2 do g[flat[i]] = flat[i + 1] end
    groups[#groups + 1] = g
  end
  return groups
end
local function group_of(key, name)
  for _, g in ipairs(groups_of(key)) do
    if g.name == name then return g end
  end
  return nil
end
`;

/**
 * KEYS meta
 * ARGV partitions, maxEvents, maxAgeMs, allowLoss ('' = not set)
 */
const ensureTopic = `
local existing = redis.call('HGET', KEYS[1], 'partitions')
if existing and existing ~= ARGV[1] then return redis.error_reply('SLUICE_TOPIC_PARTITIONS ' .. existing) end
redis.call('HSET', KEYS[1], 'partitions', ARGV[1])
local fields = {'maxEvents', 'maxAgeMs', 'allowLoss'}
for i, field in ipairs(fields) do
  if ARGV[i + 1] == '' then redis.call('HDEL', KEYS[1], field) else redis.call('HSET', KEYS[1], field, ARGV[i + 1]) end
end
return 1
`;

/**
 * KEYS meta, spread, checkpoints, p0 … p(P-1), [idempotency]
 * ARGV partitions, idempotencyTtlMs, checkpoint ('' none, 'set', 'clear'), checkpoint source, checkpoint JSON,
 *      event count, keyless count, expected checkpoint ('' any, '-' none, '=' this text), its text,
 *      then per event: partition (-1 = no key), the event packed as one entry field `e` (redis-entry.ts)
 * Returns {outcome, record}: outcome 0 stored, 1 a duplicate of the idempotency key's first append (whose record
 * it returns), 2 nothing stored because the checkpoint was not the expected one. The record names every event's id
 * compactly (see decodeAppendRecord).
 */
const append = `
local P = tonumber(ARGV[1])
local stored = redis.call('HGET', KEYS[1], 'partitions')
if not stored then return redis.error_reply('SLUICE_TOPIC_UNKNOWN no such topic') end
if tonumber(stored) ~= P then return redis.error_reply('SLUICE_TOPIC_PARTITIONS ' .. stored) end
local idem = KEYS[4 + P]
if idem then
  local first = redis.call('GET', idem)
  if first then return {1, first} end
end
-- A conditional checkpoint: nothing is stored once the source's checkpoint moved past the one the poll began at.
if ARGV[8] ~= '' then
  local current = redis.call('HGET', KEYS[3], ARGV[4])
  if ARGV[8] == '-' then
    if current then return {2, ''} end
  elseif current ~= ARGV[9] then
    return {2, ''}
  end
end
local count = tonumber(ARGV[6])
local keyless = tonumber(ARGV[7])
-- Events without a key take the next partitions round-robin; one INCRBY reserves them all.
local spread = 0
if keyless > 0 then spread = redis.call('INCRBY', KEYS[2], keyless) - keyless end
local partitions, ids, first, last, counts, order = {}, {}, {}, {}, {}, {}
local at = 10
for i = 1, count do
  local p = tonumber(ARGV[at])
  if p < 0 then
    p = spread % P
    spread = spread + 1
  end
  local id = redis.call('XADD', KEYS[4 + p], '*', '${ENTRY_FIELD}', ARGV[at + 1])
  at = at + 2
  partitions[i] = p
  ids[i] = id
  if not first[p] then
    first[p] = id
    counts[p] = 0
    order[#order + 1] = p
  end
  counts[p] = counts[p] + 1
  last[p] = id
end
-- The ids one partition gets in one append are consecutive (Redis 7 freezes the clock during a script, and
-- XADD then counts up the sequence), so a segment (partition, ms, first seq, count) stands for all of them.
-- Parsing two ids per partition instead of every id keeps the script cheap; should the ids ever not be
-- consecutive, segments are cut wherever they break.
local segments = {}
for _, p in ipairs(order) do
  local ms, seq = string.match(first[p], '^(%d+)-(%d+)$')
  local lastMs, lastSeq = string.match(last[p], '^(%d+)-(%d+)$')
  if lastMs == ms and tonumber(lastSeq) - tonumber(seq) + 1 == counts[p] then
    segments[#segments + 1] = {p, ms, tonumber(seq), counts[p]}
  else
    local open = nil
    for i = 1, count do
      if partitions[i] == p then
        local m, q = string.match(ids[i], '^(%d+)-(%d+)$')
        q = tonumber(q)
        if open and open[2] == m and open[3] + open[4] == q then
          open[4] = open[4] + 1
        else
          open = {p, m, q, 1}
          segments[#segments + 1] = open
        end
      end
    end
  end
end
local parts = {table.concat(partitions, ',')}
for i, s in ipairs(segments) do
  parts[i + 1] = s[1] .. ':' .. s[2] .. ':' .. string.format('%d', s[3]) .. ':' .. s[4]
end
local record = table.concat(parts, '|')
if ARGV[3] == 'set' then redis.call('HSET', KEYS[3], ARGV[4], ARGV[5]) end
if ARGV[3] == 'clear' then redis.call('HDEL', KEYS[3], ARGV[4]) end
if idem then redis.call('SET', idem, record, 'PX', ARGV[2]) end
return {0, record}
`;

/**
 * KEYS meta, lost, p0 … p(P-1)
 * ARGV most events to drop per partition in this call
 * Returns {trimmed, lost, more (1 when a partition hit the limit and may have more to drop)}.
 */
const trim = `
local meta = redis.call('HMGET', KEYS[1], 'partitions', 'maxEvents', 'maxAgeMs', 'allowLoss')
if not meta[1] then return redis.error_reply('SLUICE_TOPIC_UNKNOWN no such topic') end
local maxEvents = tonumber(meta[2])
local maxAge = tonumber(meta[3])
local allowLoss = meta[4] == '1'
if not maxEvents and not maxAge then return {0, 0, 0} end
local limit = tonumber(ARGV[1])
local minMs = nil
if maxAge then
  local now = redis.call('TIME')
  minMs = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) - maxAge
end
local trimmed, lost, more = 0, 0, 0
for k = 3, #KEYS do
  local key = KEYS[k]
  local len = redis.call('XLEN', key)
  local over = 0
  if maxEvents and len > maxEvents then over = len - maxEvents end
  -- The candidates: the oldest 'over' entries, or those older than maxAge, whichever prefix is longer.
  local entries = {}
  if minMs and minMs > 0 then
    entries = redis.call('XRANGE', key, '-', '(' .. string.format('%d', minMs) .. '-0', 'COUNT', limit)
  end
  if over > #entries then entries = redis.call('XRANGE', key, '-', '+', 'COUNT', math.min(over, limit)) end
  if #entries > 0 then
    local groups = groups_of(key)
    -- Without allowLoss, drop only below the first entry some subscription still needs: its oldest pending
    -- entry, or the first it was not handed yet.
    local bound = nil
    local undelivered = nil
    for _, g in ipairs(groups) do
      local last = g['last-delivered-id']
      if not undelivered or id_less(last, undelivered) then undelivered = last end
      if not allowLoss then
        local need = id_next(last)
        if g.pending > 0 then
          local oldest = redis.call('XPENDING', key, g.name)[2]
          if id_less(oldest, need) then need = oldest end
        end
        if not bound or id_less(need, bound) then bound = need end
      end
    end
    local drop = 0
    for i, entry in ipairs(entries) do
      if bound and not id_less(entry[1], bound) then break end
      drop = i
    end
    if drop > 0 then
      local lastDropped = entries[drop][1]
      if allowLoss and #groups > 0 then
        -- An entry is lost when some subscription had not acknowledged it: not yet handed out, or pending.
        -- Pending ones are acknowledged, so that they stop showing as pending.
        local pending = {}
        for _, g in ipairs(groups) do
          if g.pending > 0 then
            local rows = redis.call('XPENDING', key, g.name, '-', lastDropped, drop)
            local ids = {}
            for _, row in ipairs(rows) do
              pending[row[1]] = true
              ids[#ids + 1] = row[1]
              if #ids == 1000 then
                redis.call('XACK', key, g.name, unpack(ids))
                ids = {}
              end
            end
            if #ids > 0 then redis.call('XACK', key, g.name, unpack(ids)) end
          end
        end
        for i = 1, drop do
          local id = entries[i][1]
          if pending[id] or id_less(undelivered, id) then lost = lost + 1 end
        end
      end
      trimmed = trimmed + redis.call('XTRIM', key, 'MINID', '=', id_next(lastDropped))
      if drop == limit then more = 1 end
    end
  end
end
if lost > 0 then redis.call('INCRBY', KEYS[2], lost) end
return {trimmed, lost, more}
`;

/** KEYS meta, p0 … p(P-1). ARGV group, start ('0' or '$'). */
const ensureSubscription = `
if not redis.call('HGET', KEYS[1], 'partitions') then return redis.error_reply('SLUICE_TOPIC_UNKNOWN no such topic') end
for k = 2, #KEYS do
  local reply = redis.pcall('XGROUP', 'CREATE', KEYS[k], ARGV[1], ARGV[2], 'MKSTREAM')
  if reply.err and not string.find(reply.err, 'BUSYGROUP', 1, true) then return reply end
end
return 1
`;

/** KEYS p0 … p(P-1). ARGV group. */
const deleteSubscription = `
for _, key in ipairs(KEYS) do redis.pcall('XGROUP', 'DESTROY', key, ARGV[1]) end
return 1
`;

/** KEYS p0. Returns the subscription names. */
const subscriptions = `
local names = {}
for _, g in ipairs(groups_of(KEYS[1])) do names[#names + 1] = g.name end
return names
`;

/**
 * KEYS the partitions to move. ARGV group, target ('beginning', 'end', 'time', 'id'), time or stream id.
 * Pending entries are acknowledged: after a seek, delivery starts again from the new position.
 */
const seek = `
for _, key in ipairs(KEYS) do
  if not group_of(key, ARGV[1]) then return redis.error_reply('SLUICE_SUBSCRIPTION_UNKNOWN no such subscription') end
end
for _, key in ipairs(KEYS) do
  local target = '0'
  if ARGV[2] == 'end' then target = '$' end
  if ARGV[2] == 'id' then target = ARGV[3] end
  if ARGV[2] == 'time' then
    -- The last entry stored before the time, so that the first one at or after it is delivered next.
    local before = redis.call('XREVRANGE', key, '(' .. ARGV[3] .. '-0', '-', 'COUNT', 1)[1]
    if before then target = before[1] end
  end
  redis.call('XGROUP', 'SETID', key, ARGV[1], target)
  while true do
    local rows = redis.call('XPENDING', key, ARGV[1], '-', '+', 1000)
    if #rows == 0 then break end
    local ids = {}
    for i, row in ipairs(rows) do ids[i] = row[1] end
    redis.call('XACK', key, ARGV[1], unpack(ids))
  end
end
return 1
`;

/**
 * KEYS redis-run, p0 … p(P-1). ARGV group.
 * Returns per partition {last delivered id, pending, lag}; lag -1 when Redis cannot tell (after a seek into
 * the middle of a partition, after a restart) and it has to be counted.
 *
 * Redis logs a group's reads in its append-only file as XCLAIMs that move last-delivered-id but not entries-read,
 * so after a rewrite of the file and a restart, a group's entries-read is the one of the rewrite: too low, and the
 * lag Redis derives from it (entries-added minus entries-read) counts delivered events. So the first time a Redis
 * process is seen here, every group of the topic gets its position set again without a counter, which marks the
 * counter unknown; Redis learns it again once the group reads the newest entry, and counting fills the gap.
 */
const positions = `
local run = string.match(redis.call('INFO', 'server'), 'run_id:(%w+)')
if redis.call('GET', KEYS[1]) ~= run then
  for i = 2, #KEYS do
    for _, g in ipairs(groups_of(KEYS[i])) do
      redis.call('XGROUP', 'SETID', KEYS[i], g.name, g['last-delivered-id'])
    end
  end
  redis.call('SET', KEYS[1], run)
end
local out = {}
for i = 2, #KEYS do
  local key = KEYS[i]
  local g = group_of(key, ARGV[1])
  if not g then return redis.error_reply('SLUICE_SUBSCRIPTION_UNKNOWN no such subscription') end
  local last = g['last-delivered-id']
  local len = redis.call('XLEN', key)
  local lag = g.lag
  local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)[1]
  -- Redis counts entries added since the group's position, trimmed ones included: what is stored is at most len.
  if len == 0 then
    lag = 0
  elseif id_less(last, first[1]) then
    lag = len
  elseif lag then
    lag = math.min(lag, len)
  else
    lag = -1
  end
  out[i - 1] = {last, g.pending, lag}
end
return out
`;

/** KEYS partition. ARGV exclusive start id, most to count. Returns {counted, last id counted or ''}. */
const countAfter = `
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
if #entries == 0 then return {0, ''} end
return {#entries, entries[#entries][1]}
`;

/** KEYS partition. ARGV group, limit. Returns {entries, consumers}: the pending entries oldest first, and whom each was handed to. */
const pending = `
local rows = redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', ARGV[2])
local out, consumers = {}, {}
for _, row in ipairs(rows) do
  local entry = redis.call('XRANGE', KEYS[1], row[1], row[1])[1]
  if entry then
    out[#out + 1] = entry
    consumers[#consumers + 1] = row[2]
  end
end
return {out, consumers}
`;

/**
 * KEYS meta, lost, p0 … p(P-1).
 * Returns {partitions, length, oldest id or false, newest id or false, lost, memory bytes, subscription names}.
 */
const topicInfo = `
local P = redis.call('HGET', KEYS[1], 'partitions')
if not P then return redis.error_reply('SLUICE_TOPIC_UNKNOWN no such topic') end
local length, oldest, newest, memory = 0, false, false, 0
for k = 3, #KEYS do
  local key = KEYS[k]
  local n = redis.call('XLEN', key)
  if n > 0 then
    length = length + n
    local first = redis.call('XRANGE', key, '-', '+', 'COUNT', 1)[1][1]
    local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)[1][1]
    if not oldest or id_ms(first) < id_ms(oldest) then oldest = first end
    if not newest or id_ms(last) > id_ms(newest) then newest = last end
  end
  memory = memory + (redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0') or 0)
end
local names = {}
for _, g in ipairs(groups_of(KEYS[3])) do names[#names + 1] = g.name end
return {tonumber(P), length, oldest, newest, tonumber(redis.call('GET', KEYS[2]) or '0'), memory, names}
`;

/**
 * KEYS p0 … p(P-1). ARGV group, idle ms. Deletes the group's consumers that hold no pending event and have not read
 * for the idle time (a worker that is gone, a lane no longer used); returns how many. One script, so a consumer
 * cannot claim between the check and the delete (deleting a consumer drops its pending entries).
 */
const pruneConsumers = `
local removed = 0
local idle_ms = tonumber(ARGV[2])
for _, key in ipairs(KEYS) do
  local reply = redis.pcall('XINFO', 'CONSUMERS', key, ARGV[1])
  if not reply.err then
    for _, flat in ipairs(reply) do
      local c = {}
      for i = 1, #flat, 2 do c[flat[i]] = flat[i + 1] end
      if c.pending == 0 and c.idle >= idle_ms then
        redis.call('XGROUP', 'DELCONSUMER', key, ARGV[1], c.name)
        removed = removed + 1
      end
    end
  end
end
return removed
`;

/** Every script, by the command name it is defined under on a client. */
export const storageScripts = {
  sluiceEnsureTopic: ensureTopic,
  sluiceAppend: append,
  sluiceTrim: IDS + trim,
  sluiceEnsureSubscription: ensureSubscription,
  sluiceDeleteSubscription: deleteSubscription,
  sluiceSubscriptions: IDS + subscriptions,
  sluiceSeek: IDS + seek,
  sluicePositions: IDS + positions,
  sluiceCountAfter: countAfter,
  sluicePending: pending,
  sluicePruneConsumers: pruneConsumers,
  sluiceTopicInfo: IDS + topicInfo,
} as const;

export type StorageScript = keyof typeof storageScripts;

/**
 * Event ids from an append record: `<partition of each event, comma-separated>|<segment>|…`, where a segment
 * `p:ms:seq:n` gives the next n events of partition p the ids ms-seq … ms-(seq+n-1).
 */
export function decodeAppendRecord(record: string): string[] {
  if (record === '') return [];
  const [list, ...segmentTexts] = record.split('|');
  const segments = new Map<number, Array<{ ms: string; seq: number; n: number }>>();
  for (const text of segmentTexts) {
    const [p, ms, seq, n] = text.split(':');
    const partition = Number(p);
    const ofPartition = segments.get(partition) ?? [];
    ofPartition.push({ ms, seq: Number(seq), n: Number(n) });
    segments.set(partition, ofPartition);
  }
  const cursors = new Map<number, { segment: number; offset: number }>();
  return list.split(',').map((p) => {
    const partition = Number(p);
    const ofPartition = segments.get(partition)!;
    const c = cursors.get(partition) ?? { segment: 0, offset: 0 };
    cursors.set(partition, c);
    if (c.offset === ofPartition[c.segment].n) {
      c.segment++;
      c.offset = 0;
    }
    const s = ofPartition[c.segment];
    return `${partition}-${s.ms}-${s.seq + c.offset++}`;
  });
}
