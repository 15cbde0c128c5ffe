package dev.tally.api;

import io.javalin.http.Context;
import io.javalin.security.RouteRole;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Bearer tokens and their roles, from a file of lines {@code TOKEN ROLE[,ROLE...]} ({@code #} starts a
 * comment). A request to a route that needs a role must carry {@code Authorization: Bearer TOKEN} of a
 * token with that role: no token or an unknown one is a 401, a token without the role a 403. Tokens are
 * kept only as SHA-256 digests and compared in constant time, every one of them, so neither the time
 * of an answer nor a log line says anything about a token.
 */
public final class BearerAuth {

  /** A token's digest and its roles. */
  private record Grant(byte[] digest, Set<Role> roles) {}

  private final List<Grant> grants;

  private BearerAuth(List<Grant> grants) {
    this.grants = List.copyOf(grants);
  }

  /** No authentication: every route is open. */
  public static BearerAuth off() {
    return new BearerAuth(List.of());
  }

  public boolean enabled() {
    return !grants.isEmpty();
  }

  /**
   * Reads a tokens file.
   *
   * @throws IllegalArgumentException naming the line that is not {@code TOKEN ROLE[,ROLE...]}, or if the
   *     file holds no token
   */
  public static BearerAuth fromFile(Path file) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the tokens file " + file, e);
    }
    List<Grant> grants = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      int comment = line.indexOf('#');
      String content = (comment >= 0 ? line.substring(0, comment) : line).strip();
      if (content.isEmpty()) {
        continue;
      }
      String[] parts = content.split("\\s+");
      if (parts.length != 2) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected TOKEN ROLE[,ROLE...]");
      }
      Set<Role> roles = EnumSet.noneOf(Role.class);
      for (String role : parts[1].split(",")) {
        try {
          roles.add(Role.named(role));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
        }
      }
      grants.add(new Grant(digest(parts[0]), roles));
    }
    if (grants.isEmpty()) {
      throw new IllegalArgumentException(file + " holds no token");
    }
    return new BearerAuth(grants);
  }

  /**
   * Lets the request through if its route needs no role, or its token has one of the roles the route
   * needs.
   *
   * @throws AuthException 401 or 403
   */
  void check(Context ctx) {
    check(ctx.routeRoles(), ctx.header("Authorization"));
  }

  /**
   * As {@link #check(Context)}, for a route that needs one of {@code needed}, given the request's
   * {@code Authorization} header (null if it has none).
   */
  void check(Set<? extends RouteRole> needed, String header) {
    if (!enabled() || needed.isEmpty()) {
      return;
    }
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      throw new AuthException(401, "this route needs Authorization: Bearer TOKEN");
    }
    byte[] presented = digest(header.substring(7).strip());
    Set<Role> roles = null;
    for (Grant grant : grants) {
      if (MessageDigest.isEqual(grant.digest(), presented) && roles == null) {
        roles = grant.roles();
      }
    }
    if (roles == null) {
      throw new AuthException(401, "unknown token");
    }
    for (RouteRole role : needed) {
      if (roles.contains(role)) {
        return;
      }
    }
    throw new AuthException(403, "this token lacks the role this route needs: " + needed.iterator().next()
        .toString().toLowerCase(Locale.ROOT));
  }

  /** SHA-256 of {@code token}: what is kept and compared instead of a secret. */
  static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  /** A request without the right to its route: 401 (who are you?) or 403 (not you). */
  static final class AuthException extends RuntimeException {

    private static final long serialVersionUID = 1L;
    private final int status;

    AuthException(int status, String message) {
      super(message);
      this.status = status;
    }

    int status() {
      return status;
    }
  }
}
