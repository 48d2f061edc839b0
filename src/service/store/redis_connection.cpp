#include "service/store/redis_connection.h"

#include <cerrno>
#include <vector>

#include <hiredis/hiredis.h>
#include <openssl/evp.h>
#include <poll.h>

namespace clawbot::service {
namespace {

timeval to_timeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

std::string scrubbed(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    for (std::size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
        text.replace(at, secret.size(), "***");
    }
    return text;
}

RedisValue copy_reply(const redisReply& reply) {
    RedisValue value;
    switch (reply.type) {
        case REDIS_REPLY_STRING:
            value.kind = RedisValue::Kind::Text;
            value.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_STATUS:
            value.kind = RedisValue::Kind::Status;
            value.text.assign(reply.str, reply.len);
            break;
        case REDIS_REPLY_INTEGER:
            value.kind = RedisValue::Kind::Integer;
            value.integer = reply.integer;
            break;
        case REDIS_REPLY_ARRAY:
            value.kind = RedisValue::Kind::Array;
            value.items.reserve(reply.elements);
            for (std::size_t i = 0; i < reply.elements; ++i) value.items.push_back(copy_reply(*reply.element[i]));
            break;
        default: break;  // NIL
    }
    return value;
}

struct ReplyDeleter {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
};

}  // namespace

RedisScript make_redis_script(std::string_view body) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    EVP_Digest(body.data(), body.size(), digest, &length, EVP_sha1(), nullptr);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < length; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return RedisScript{body, hex};
}

RedisConnection::RedisConnection(redisContext* context, const RedisEndpoint& endpoint, const RedisTimeouts& timeouts)
    : context_(context), where_("Redis at " + endpoint.display()), password_(endpoint.password), timeouts_(timeouts) {}

RedisConnection::~RedisConnection() { redisFree(context_); }

Result<std::unique_ptr<RedisConnection>> RedisConnection::open(const RedisEndpoint& endpoint,
                                                               const RedisTimeouts& timeouts) {
    redisContext* context = redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, to_timeval(timeouts.connect));
    if (context == nullptr) return make_error("Redis at " + endpoint.display() + ": out of memory");
    std::unique_ptr<RedisConnection> connection(new RedisConnection(context, endpoint, timeouts));
    if (context->err != 0) return connection->failure("cannot connect", false);
    if (redisSetTimeout(context, to_timeval(timeouts.command)) != REDIS_OK || redisEnableKeepAlive(context) != REDIS_OK) {
        return connection->failure("cannot set socket options", false);
    }
    if (!endpoint.password.empty()) {
        std::vector<std::string_view> auth = {"AUTH"};
        if (!endpoint.username.empty()) auth.push_back(endpoint.username);
        auth.push_back(endpoint.password);
        Result<RedisValue> authed = connection->command(auth);
        if (!authed) return authed.error();
    }
    if (endpoint.db != 0) {
        const std::string db = std::to_string(endpoint.db);
        const std::string_view select[] = {"SELECT", db};
        Result<RedisValue> selected = connection->command(select);
        if (!selected) return selected.error();
    }
    return connection;
}

Error RedisConnection::failure(std::string_view what, bool awaiting_reply) const {
    std::string why = context_->errstr;
    if (awaiting_reply && context_->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        why = "no answer within " + std::to_string(timeouts_.command.count()) + " ms";
    } else if (context_->err == REDIS_ERR_EOF) {
        why = "the server closed the connection";
    }
    return make_error(where_ + ": " + std::string(what) + ": " + scrubbed(std::move(why), password_));
}

Result<RedisValue> RedisConnection::command(std::span<const std::string_view> args) {
    if (broken_) return make_error(where_ + ": connection lost");
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (std::string_view arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    errno = 0;
    std::unique_ptr<redisReply, ReplyDeleter> reply(static_cast<redisReply*>(
        redisCommandArgv(context_, static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply) {
        broken_ = true;
        return failure(args.empty() ? "command failed" : std::string(args[0]) + " failed", true);
    }
    if (reply->type == REDIS_REPLY_ERROR) {
        return make_error(where_ + ": " + scrubbed(std::string(reply->str, reply->len), password_));
    }
    return copy_reply(*reply);
}

Result<RedisValue> RedisConnection::eval(const RedisScript& script, std::span<const std::string_view> keys,
                                         std::span<const std::string_view> args) {
    const std::string key_count = std::to_string(keys.size());
    std::vector<std::string_view> argv = {"EVALSHA", script.sha1, key_count};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    Result<RedisValue> result = command(argv);
    if (result || broken_ || result.error().message.find(": NOSCRIPT") == std::string::npos) return result;
    argv[0] = "EVAL";
    argv[1] = script.body;
    return command(argv);
}

bool RedisConnection::closed_while_idle() const {
    pollfd entry{context_->fd, POLLIN, 0};
    return ::poll(&entry, 1, 0) != 0;
}

}  // namespace clawbot::service
