package io.famfs.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Errors raised before a request reaches a resource (a body over the size limit, a route
 * that does not exist) answer JSON {@code {"error": ...}} like every other error, instead
 * of Vert.x's empty or HTML bodies. One kind stays out of reach: a request line whose
 * percent-escapes do not decode is answered 400 by the HTTP server itself, before any
 * router or filter runs, with an empty body (Quarkus offers no hook there).
 */
@ApplicationScoped
public class HttpErrors {
    /** Largest request body the API takes (its requests are small JSON documents). */
    static final long MAX_BODY = 1L << 20;

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).handler(ctx -> {
            // the API's bodies are small JSON documents: refuse a large one up front, in JSON
            String length = ctx.request().getHeader("Content-Length");
            if (length != null && length.length() < 19 && length.chars().allMatch(Character::isDigit)
                    && Long.parseLong(length) > MAX_BODY) {
                ctx.response().setStatusCode(413).putHeader("Content-Type", "application/json").putHeader("Connection", "close")
                        .end(new JsonObject().put("error", "request body of " + length + " bytes is too large (at most "
                                + MAX_BODY + ")").encode());
                return;
            }
            ctx.next();
        });
        router.route().order(Integer.MIN_VALUE).failureHandler(HttpErrors::answer);
        // errors the router raises itself, before any route (a path that does not decode)
        for (int status : new int[] {400, 404, 405, 413, 414, 415, 431, 500}) {
            router.errorHandler(status, HttpErrors::answer);
        }
    }

    private static void answer(io.vertx.ext.web.RoutingContext ctx) {
        {
            if (ctx.response().ended() || ctx.response().headWritten()) {
                return; // already answered (or answering): nothing to add
            }
            int status = ctx.statusCode() >= 400 ? ctx.statusCode() : 500;
            String message = switch (status) {
                case 400 -> "malformed request" + (ctx.failure() == null || ctx.failure().getMessage() == null ? ""
                        : ": " + ctx.failure().getMessage().lines().findFirst().orElse(""));
                case 404 -> "no such resource: " + ctx.request().path();
                case 405 -> "method " + ctx.request().method() + " is not allowed here";
                case 413 -> "request body too large";
                case 414 -> "request URI too long";
                default -> status >= 500 ? "internal error" : "request refused (HTTP " + status + ")";
            };
            ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
                    .end(new JsonObject().put("error", message).encode());
        }
    }
}
