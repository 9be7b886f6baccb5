package io.famfs.api;

import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;

/**
 * Mutations (anything but GET/HEAD) need the bearer token, always. Reads are open on
 * loopback and need the token from anywhere else (when the API is bound to another
 * address). A refused request answers 401 and reaches no resource, so it changes nothing.
 */
public class AuthFilter {
    @ServerRequestFilter(preMatching = true)
    public Optional<Response> authorize(ContainerRequestContext ctx, HttpServerRequest request) {
        String method = ctx.getMethod();
        boolean read = method.equals("GET") || method.equals("HEAD") || method.equals("OPTIONS");
        if (read && fromLoopback(request)) {
            return Optional.empty();
        }
        if (ApiToken.accepts(ctx.getHeaderString("Authorization"))) {
            return Optional.empty();
        }
        return Optional.of(Response.status(401).header("WWW-Authenticate", "Bearer realm=\"famfs\"")
                .type("application/json")
                .entity(java.util.Map.of("error", read ? "a bearer token is needed from a non-loopback address"
                        : "mutations need 'Authorization: Bearer <token from " + ApiToken.file() + ">'"))
                .build());
    }

    private static boolean fromLoopback(HttpServerRequest request) {
        if (request.remoteAddress() == null) {
            return false;
        }
        try {
            return InetAddress.getByName(request.remoteAddress().hostAddress()).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
