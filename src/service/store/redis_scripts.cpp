#include "service/store/redis_scripts.h"

namespace clawbot::service::redis_scripts {
namespace {

// The zero padding of redis_keys::recency_member, for times read inside a script.
#define CLAWBOT_RECENCY_FUNCTION \
    "local function recency(ms, id) return string.rep('0', 20 - #ms) .. ms .. ':' .. id end\n"

// Tokens' fields in the order decode_token reads them.
#define CLAWBOT_TOKEN_FIELDS "'name', 'admin', 'created_at_ms', 'digest', 'revoked_at_ms'"

constexpr const char* kCreateToken = R"lua(
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply('ERR token id or digest already exists')
end
redis.call('HSET', KEYS[1], 'name', ARGV[2], 'admin', ARGV[3], 'created_at_ms', ARGV[4], 'digest', ARGV[5])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 1
)lua";

// HSETNX keeps the first revocation time.
constexpr const char* kRevokeToken = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'revoked_at_ms', ARGV[2])
redis.call('SREM', KEYS[2], ARGV[1])
return 1
)lua";

constexpr const char* kFindToken = R"lua(
local id = redis.call('GET', KEYS[1])
if not id then return false end
local f = redis.call('HMGET', ARGV[1] .. id, )lua" CLAWBOT_TOKEN_FIELDS R"lua()
return {id, f[1], f[2], f[3], f[4], f[5]}
)lua";

constexpr const char* kListTokens = R"lua(
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local f = redis.call('HMGET', ARGV[1] .. id, )lua" CLAWBOT_TOKEN_FIELDS R"lua()
  out[#out + 1] = id
  for i = 1, 5 do out[#out + 1] = f[i] end
end
return out
)lua";

constexpr const char* kCreateConversation = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('ERR the owner token does not exist')
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return redis.error_reply('ERR conversation id already exists')
end
redis.call('HSET', KEYS[2], 'owner', ARGV[1], 'title', ARGV[2], 'system_prompt', ARGV[3],
           'created_at_ms', ARGV[4], 'updated_at_ms', ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[5])
return 1
)lua";

// Members are "<20-digit time>:<id>", so the id starts at byte 22.
constexpr const char* kListConversations = R"lua(
local out = {}
local members = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[1], '-', 'LIMIT', 0, ARGV[2])
for _, member in ipairs(members) do
  local id = string.sub(member, 22)
  local f = redis.call('HMGET', ARGV[3] .. id, 'title', 'system_prompt', 'created_at_ms', 'updated_at_ms')
  if f[4] then
    out[#out + 1] = id
    for i = 1, 4 do out[#out + 1] = f[i] end
  end
end
return out
)lua";

constexpr const char* kDeleteConversation = CLAWBOT_RECENCY_FUNCTION R"lua(
local updated = redis.call('HGET', KEYS[1], 'updated_at_ms')
if not updated then return 0 end
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], recency(updated, ARGV[1]))
return 1
)lua";

// updated_at only moves forward, as SQLite's MAX(updated_at_ms, now).
// Times stay below 2^53, so tonumber compares them exactly. A finish other
// than stop is kept in the conversation's hash as 'finish:<seq>', so it goes
// with the conversation and a message without one reads as stop.
constexpr const char* kAppendMessages = CLAWBOT_RECENCY_FUNCTION R"lua(
local updated = redis.call('HGET', KEYS[1], 'updated_at_ms')
if not updated then return false end
local n = tonumber(ARGV[3])
local last_seq = redis.call('RPUSH', KEYS[2], unpack(ARGV, 4, 3 + n))
for i = 1, n do
  local finish = ARGV[3 + n + i]
  if finish ~= '' then redis.call('HSET', KEYS[1], 'finish:' .. (last_seq - n + i), finish) end
end
if tonumber(ARGV[1]) > tonumber(updated) then
  redis.call('HSET', KEYS[1], 'updated_at_ms', ARGV[1])
  redis.call('ZREM', KEYS[3], recency(updated, ARGV[2]))
  redis.call('ZADD', KEYS[3], 0, recency(ARGV[1], ARGV[2]))
end
return last_seq
)lua";

constexpr const char* kListMessages = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local finishes = {}
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  if string.sub(fields[i], 1, 7) == 'finish:' then
    finishes[#finishes + 1] = string.sub(fields[i], 8)
    finishes[#finishes + 1] = fields[i + 1]
  end
end
return {redis.call('LRANGE', KEYS[2], 0, -1), finishes}
)lua";

// HSET only on an existing conversation (the key holds the owner: another
// owner's id is a missing key). ARGV[1] / ARGV[3] say whether the title /
// system prompt is given ('1') or stays ('0'). updated_at stays.
constexpr const char* kUpdateConversation = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if ARGV[1] == '1' then redis.call('HSET', KEYS[1], 'title', ARGV[2]) end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'system_prompt', ARGV[4]) end
return redis.call('HMGET', KEYS[1], 'title', 'system_prompt', 'created_at_ms', 'updated_at_ms')
)lua";

// Finds the message whose id (an element's first line, redis_codec.h) is
// ARGV[1], reading the list from its end in slices (an edit or a
// regeneration is usually near the end), then trims it and everything after
// it off the list and drops their finish:<seq> fields (seq = position + 1),
// so the seqs given out again start clean. updated_at moves as in
// kAppendMessages. Returns nil (no conversation), 0 (no such message) or how
// many messages were deleted.
constexpr const char* kDeleteMessagesFrom = CLAWBOT_RECENCY_FUNCTION R"lua(
local updated = redis.call('HGET', KEYS[1], 'updated_at_ms')
if not updated then return false end
local n = redis.call('LLEN', KEYS[2])
local at = nil
local stop = n - 1
while stop >= 0 and not at do
  local start = math.max(stop - 31, 0)
  local slice = redis.call('LRANGE', KEYS[2], start, stop)
  for i = #slice, 1, -1 do
    local newline = string.find(slice[i], '\n', 1, true)
    if newline and string.sub(slice[i], 1, newline - 1) == ARGV[1] then
      at = start + i - 1
      break
    end
  end
  stop = start - 1
end
if not at then return 0 end
if at == 0 then redis.call('DEL', KEYS[2]) else redis.call('LTRIM', KEYS[2], 0, at - 1) end
for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(field, 1, 7) == 'finish:' then
    local seq = tonumber(string.sub(field, 8))
    if seq and seq > at then redis.call('HDEL', KEYS[1], field) end
  end
end
if tonumber(ARGV[2]) > tonumber(updated) then
  redis.call('HSET', KEYS[1], 'updated_at_ms', ARGV[2])
  redis.call('ZREM', KEYS[3], recency(updated, ARGV[3]))
  redis.call('ZADD', KEYS[3], 0, recency(ARGV[2], ARGV[3]))
end
return n - at
)lua";

// One batch of a search: up to ARGV[2] members of the index below ARGV[1],
// newest first, stopping after ARGV[6] matches. A conversation matches when
// its title, or the content of one of its messages (what follows a list
// element's six header lines, redis_codec.h), lowered, contains ARGV[5]
// (already lowered) as plain text. Returns {examined, last member examined,
// 1 when the index has nothing older, then kConversationFieldCount fields
// per match}.
constexpr const char* kSearchConversations = R"lua(
local members = redis.call('ZREVRANGEBYLEX', KEYS[1], ARGV[1], '-', 'LIMIT', 0, tonumber(ARGV[2]))
local wanted = tonumber(ARGV[6])
local q = ARGV[5]
local out = {0, '', 0}
local matches = 0
local examined = 0
for _, member in ipairs(members) do
  examined = examined + 1
  out[2] = member
  local id = string.sub(member, 22)
  local f = redis.call('HMGET', ARGV[3] .. id, 'title', 'system_prompt', 'created_at_ms', 'updated_at_ms')
  if f[4] then
    local hit = string.find(string.lower(f[1] or ''), q, 1, true) ~= nil
    if not hit then
      for _, element in ipairs(redis.call('LRANGE', ARGV[4] .. id, 0, -1)) do
        local at = 0
        for _ = 1, 6 do
          at = string.find(element, '\n', at + 1, true)
          if not at then break end
        end
        if at and string.find(string.lower(string.sub(element, at + 1)), q, 1, true) then
          hit = true
          break
        end
      end
    end
    if hit then
      out[#out + 1] = id
      for i = 1, 4 do out[#out + 1] = f[i] end
      matches = matches + 1
      if matches >= wanted then break end
    end
  end
end
out[1] = examined
if examined == #members and #members < tonumber(ARGV[2]) then out[3] = 1 end
return out
)lua";

#undef CLAWBOT_RECENCY_FUNCTION
#undef CLAWBOT_TOKEN_FIELDS

}  // namespace

#define CLAWBOT_SCRIPT(function, body)                         \
    const RedisScript& function() {                            \
        static const RedisScript script = make_redis_script(body); \
        return script;                                         \
    }

CLAWBOT_SCRIPT(create_token, kCreateToken)
CLAWBOT_SCRIPT(revoke_token, kRevokeToken)
CLAWBOT_SCRIPT(find_token, kFindToken)
CLAWBOT_SCRIPT(list_tokens, kListTokens)
CLAWBOT_SCRIPT(create_conversation, kCreateConversation)
CLAWBOT_SCRIPT(list_conversations, kListConversations)
CLAWBOT_SCRIPT(delete_conversation, kDeleteConversation)
CLAWBOT_SCRIPT(append_messages, kAppendMessages)
CLAWBOT_SCRIPT(list_messages, kListMessages)
CLAWBOT_SCRIPT(update_conversation, kUpdateConversation)
CLAWBOT_SCRIPT(delete_messages_from, kDeleteMessagesFrom)
CLAWBOT_SCRIPT(search_conversations, kSearchConversations)

#undef CLAWBOT_SCRIPT

}  // namespace clawbot::service::redis_scripts
