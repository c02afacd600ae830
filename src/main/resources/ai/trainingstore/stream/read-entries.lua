-- Reads stream entries for one consumer of a group, bounded by bytes (see EntryReader.java).
-- Runs atomically, so the entries measured are the entries delivered. One key: the stream.
--
-- KEYS[1]  the stream
-- ARGV     mode ('new' or 'ids'), group, consumer, budget (bytes), max-entry-bytes,
--          cut (bytes kept of each name and value of a too large entry), cut-total (bytes kept
--          of a too large entry in all), count (most entries), then in mode 'ids' the entry ids.
--
-- mode 'new': the next entries of the group (those XREADGROUP > would deliver), as many as fit
--             in the budget, delivered with XREADGROUP so the pending list is Redis's own.
-- mode 'ids': entries already pending on this consumer (listed by XPENDING or claimed with
--             XAUTOCLAIM JUSTID); each one fetched counts as a delivery, as XREADGROUP would count it.
--
-- Reply: one array per entry handled, in order: {id, state, size, deliveries, {name, value, ...}}
--   state 'ok'      the entry whole (size: its bytes, names and values)
--   state 'cut'     larger than max-entry-bytes: names and values cut, size is the real size
--   state 'deleted' pending but deleted from the stream (nothing to store, only to acknowledge)
--   state 'gone'    no longer pending on this consumer (acknowledged or claimed by another)
-- The first entry is always handled; the others only while their bytes fit in the budget.

local stream = KEYS[1]
local mode, group, consumer = ARGV[1], ARGV[2], ARGV[3]
local budget, max_entry = tonumber(ARGV[4]), tonumber(ARGV[5])
local cut, cut_total, count = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])

-- The group's last-delivered-id; a missing stream or group answers NOGROUP, as XREADGROUP would.
local function last_delivered_id()
    local groups = redis.pcall('XINFO', 'GROUPS', stream)
    if type(groups) == 'table' and groups.err == nil then
        for _, info in ipairs(groups) do
            local name, last
            for i = 1, #info, 2 do
                if info[i] == 'name' then name = info[i + 1] end
                if info[i] == 'last-delivered-id' then last = info[i + 1] end
            end
            if name == group then return last end
        end
    end
    return redis.error_reply('NOGROUP No such key \'' .. stream .. '\' or consumer group \'' .. group .. '\'')
end

local function size_of(fields)
    local size = 0
    for i = 1, #fields do size = size + #fields[i] end
    return size
end

-- A cut ends on a UTF-8 character boundary, so cutting never makes valid text invalid.
local function cut_text(text, limit)
    if #text <= limit then return text end
    local keep = limit
    while keep > 0 do
        local next_byte = string.byte(text, keep + 1)
        if next_byte < 128 or next_byte >= 192 then break end
        keep = keep - 1
    end
    return string.sub(text, 1, keep)
end

-- What the consumer holds of an entry: the entry whole, or its first names and values cut.
local function held(fields, size)
    if size <= max_entry then return fields, 'ok' end
    local kept, total = {}, 0
    for i = 1, #fields - 1, 2 do
        local name, value = cut_text(fields[i], cut), cut_text(fields[i + 1], cut)
        if total + #name + #value > cut_total then break end
        kept[#kept + 1], kept[#kept + 2] = name, value
        total = total + #name + #value
    end
    return kept, 'cut'
end

local function read_new()
    local last = last_delivered_id()
    if type(last) == 'table' then return last end
    -- Measure the entries ahead, a page at a time, until the budget or the count is reached.
    local chosen, spent, cursor = 0, 0, '(' .. last
    while chosen < count do
        local page = redis.call('XRANGE', stream, cursor, '+', 'COUNT', math.min(64, count - chosen))
        if #page == 0 then break end
        local full = false
        for _, entry in ipairs(page) do
            local size = size_of(entry[2])
            local kept = held(entry[2], size)
            local cost = size_of(kept)
            if chosen > 0 and spent + cost > budget then full = true break end
            chosen, spent, cursor = chosen + 1, spent + cost, '(' .. entry[1]
        end
        if full then break end
    end
    if chosen == 0 then return {} end
    local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', chosen, 'STREAMS', stream, '>')
    local reply = {}
    for _, entry in ipairs(read[1][2]) do
        local size = size_of(entry[2])
        local kept, state = held(entry[2], size)
        reply[#reply + 1] = {entry[1], state, size, 1, kept}
    end
    return reply
end

local function read_ids()
    local last = last_delivered_id()
    if type(last) == 'table' then return last end
    local reply, spent = {}, 0
    for i = 9, #ARGV do
        local id = ARGV[i]
        local pending = redis.call('XPENDING', stream, group, id, id, 1, consumer)
        if #pending == 0 then
            reply[#reply + 1] = {id, 'gone', 0, 0, {}}
        else
            local deliveries = pending[1][4] + 1
            local found = redis.call('XRANGE', stream, id, id)
            if #found == 0 then
                reply[#reply + 1] = {id, 'deleted', 0, deliveries, {}}
            else
                local size = size_of(found[1][2])
                local kept, state = held(found[1][2], size)
                local cost = size_of(kept)
                if #reply > 0 and spent + cost > budget then break end
                -- Counts the delivery and resets the idle time, as XREADGROUP of the history does.
                redis.call('XCLAIM', stream, group, consumer, 0, id, 'RETRYCOUNT', deliveries, 'JUSTID')
                spent = spent + cost
                reply[#reply + 1] = {id, state, size, deliveries, kept}
            end
        end
    end
    return reply
end

if mode == 'new' then return read_new() end
return read_ids()
