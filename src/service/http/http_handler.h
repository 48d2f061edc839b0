#pragma once
// The contract between the HTTP server and the API layer. The server parses
// a request and hands it to HttpHandler::handle together with a Responder;
// the handler answers through the Responder whenever it is ready, from any
// thread (the inference engine's, typically), so no I/O thread ever waits
// for a model.
#include <any>
#include <functional>
#include <optional>
#include <memory>
#include <string_view>

#include "service/http/http_message.h"

namespace clawbot::service {

// A Server-Sent Events response in progress. Every member is thread-safe.
// Chunks are written in the order send() is called; a slow client never
// blocks the caller: chunks queue up (bounded by
// HttpServerOptions::max_stream_buffer_bytes, past which the connection is
// closed) and are written on the connection's own strand.
class EventStream {
public:
    virtual ~EventStream() = default;

    // Queues raw bytes already formatted as SSE ("event: x\ndata: y\n\n" or
    // ": keep-alive\n\n"). false once the stream is closed (finished, client
    // gone, buffer cap exceeded): the caller should stop producing.
    virtual bool send(std::string_view raw_chunk) = 0;
    // Ends the response. With keep-alive the connection then serves the next
    // request. Later calls do nothing.
    virtual void finish() = 0;
    // true once finished or the client has gone away.
    virtual bool closed() const = 0;
    // `callback` runs once, on an I/O thread, when the exchange is over:
    // the last byte was written, or the client went away, or the connection
    // was closed. Registered after that, it runs at once on the caller's
    // thread. It must not block; it may call into this stream. It should not
    // capture this stream: that would keep it alive, and a stream dropped
    // without finish() would then go unnoticed until the client leaves.
    virtual void on_close(std::function<void()> callback) = 0;
};

// Completes one request/response exchange, exactly once: either respond()
// or start_stream(). Dropping the last reference without doing either
// answers 500 (so a handler bug never hangs a client); dropping a stream
// without finish() closes the connection, so the client sees a truncated
// response rather than a clean end.
class Responder {
public:
    virtual ~Responder() = default;

    // A plain response. HEAD requests get the headers only. false if the
    // exchange was already completed or the client has gone away.
    virtual bool respond(HttpResponse response) = 0;
    // Starts an SSE response (Content-Type text/event-stream, Cache-Control
    // no-cache, X-Accel-Buffering no, chunked; close-delimited for HTTP/1.0
    // clients). `headers` are added to those. Never null: if the exchange
    // cannot stream any more, the returned stream is already closed().
    virtual std::shared_ptr<EventStream> start_stream(int status, HttpHeaders headers) = 0;
    // The same lifecycle as EventStream's: lets a non-streaming handler
    // cancel work when the client disconnects.
    virtual bool closed() const = 0;
    virtual void on_close(std::function<void()> callback) = 0;
};

// What HttpHandler::screen() decides about a request whose header has
// arrived.
struct Screening {
    // Set: the server answers this and closes the connection; the body, if
    // any, is never read, and no "100 Continue" is sent.
    std::optional<HttpResponse> refusal;
    // Handed back with the request (HttpRequest::screened), so what screen()
    // established (the caller's verified identity) need not be checked again.
    std::any attachment;
    // Set (with no refusal) when the handler cannot decide on the I/O thread
    // (the token must be looked up in a store). The server calls it once with
    // `decide`, which the handler must call exactly once, from any thread,
    // with the final screening; until then the body is not read.
    std::function<void(std::function<void(Screening)> decide)> decide_later;
};

class HttpHandler {
public:
    virtual ~HttpHandler() = default;
    // Called on an I/O thread for each request as soon as its header has
    // arrived (`head` has no body yet), so a request that will be refused
    // (no valid token) costs no more than its header. Must return quickly.
    virtual Screening screen(const HttpRequest& head) {
        (void)head;
        return {};
    }
    // A request the server answered itself, before any handler saw it (400,
    // 413, 431, 501, or 503 when the body buffers are full). `method` is
    // what the client sent (maybe empty or made up); for counting only.
    virtual void on_rejected(std::string_view method, int status) {
        (void)method;
        (void)status;
    }
    // Called on an I/O thread for each complete request; must return quickly
    // (hand long work to another thread and answer via `responder` later).
    // An exception escaping it is answered with 500.
    virtual void handle(HttpRequest request, std::shared_ptr<Responder> responder) = 0;
};

}  // namespace clawbot::service
