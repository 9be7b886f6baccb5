package io.famfs.api;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Errors raised before a request reaches a resource (a body over the size limit, a URI
 * that does not decode, a route that does not exist) answer JSON {@code {"error": ...}}
 * like every other error, instead of Vert.x's empty or HTML bodies.
 */
@ApplicationScoped
public class HttpErrors {
    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE).failureHandler(ctx -> {
            if (ctx.response().ended() || ctx.response().headWritten()) {
                ctx.next();
                return;
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
        });
    }
}
