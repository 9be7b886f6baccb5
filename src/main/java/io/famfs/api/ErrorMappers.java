package io.famfs.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.famfs.FamfsException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.Map;

/** Every error answers JSON {@code {"error": "..."}} with a fitting status, never a stack trace. */
public class ErrorMappers {
    static Response json(int status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(Map.of("error", message)).build();
    }

    @ServerExceptionMapper
    public Response apiError(ApiError e) {
        return json(e.status(), e.getMessage());
    }

    /** Every refusal of the file-system operations: the reason decides the status, once. */
    @ServerExceptionMapper
    public Response famfs(FamfsException e) {
        return json(e.reason().httpStatus(), e.getMessage());
    }

    @ServerExceptionMapper
    public Response badJson(JsonProcessingException e) {
        return json(400, "malformed JSON: " + oneLine(e.getOriginalMessage()));
    }

    /** Wrong JSON types (Quarkus maps these itself, with an empty body, unless we do). */
    @ServerExceptionMapper
    public Response wrongType(com.fasterxml.jackson.databind.exc.MismatchedInputException e) {
        String field = e.getPath().stream().map(r -> r.getFieldName() == null ? "[" + r.getIndex() + "]" : r.getFieldName())
                .reduce((a, b) -> a + "." + b).orElse(null);
        return json(400, (field == null ? "request body" : "'" + field + "'") + ": " + oneLine(e.getOriginalMessage()));
    }

    @ServerExceptionMapper
    public Response badSyntax(com.fasterxml.jackson.core.JsonParseException e) {
        return json(400, "malformed JSON: " + oneLine(e.getOriginalMessage()));
    }

    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String line = s.strip().lines().findFirst().orElse("");
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException e) {
        int status = e.getResponse() == null ? 500 : e.getResponse().getStatus();
        String reason = e.getResponse() == null || e.getResponse().getStatusInfo() == null ? null
                : e.getResponse().getStatusInfo().getReasonPhrase();
        return json(status, e.getMessage() != null && !e.getMessage().isBlank() ? oneLine(e.getMessage())
                : reason != null ? reason : "HTTP " + status);
    }

    @ServerExceptionMapper
    public Response memory(InternalError e) {
        var m = ServedMount.mounted();
        if (m != null) {
            m.health().report(io.famfs.ras.Fault.Kind.MEMORY_FAULT, -1, "while serving a REST request: " + e.getMessage());
        }
        return json(503, "memory error while serving the request; the device is quarantined");
    }
}
