package dev.tally.api;

import io.javalin.http.Context;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;

/**
 * The secret the instances of one deployment present to each other's internal endpoints, in the
 * header {@value #HEADER}: without it, anyone who reaches an internal port could read every counter
 * past the public port's tokens. Kept as a SHA-256 digest for checking, compared in constant time, and
 * never logged. {@link #none()} checks nothing (a listener on loopback, or {@code --insecure}).
 */
public final class PeerSecret {

  public static final String HEADER = "X-Tally-Peer-Secret";
  /** Shorter secrets are refused: a guessable one protects nothing. */
  static final int MIN_LENGTH = 16;

  private final String secret;
  private final byte[] digest;

  private PeerSecret(String secret) {
    this.secret = secret;
    this.digest = secret == null ? null : BearerAuth.digest(secret);
  }

  public static PeerSecret none() {
    return new PeerSecret(null);
  }

  /**
   * The secret in {@code file}, its first line without surrounding blanks.
   *
   * @throws IllegalArgumentException if it is shorter than {@value #MIN_LENGTH} characters
   */
  public static PeerSecret fromFile(Path file) {
    String secret;
    try {
      secret = Files.readString(file, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the peer secret file " + file, e);
    }
    if (secret.length() < MIN_LENGTH) {
      throw new IllegalArgumentException("the peer secret in " + file + " must be at least " + MIN_LENGTH
          + " characters on its first line");
    }
    return new PeerSecret(secret);
  }

  /** Adds the secret to a request to a peer. */
  void sign(URLConnection request) {
    if (secret != null) {
      request.setRequestProperty(HEADER, secret);
    }
  }

  /**
   * Lets a peer's request through if it carries the secret, or if there is none.
   *
   * @throws BearerAuth.AuthException 401 otherwise
   */
  void check(Context ctx) {
    if (digest == null) {
      return;
    }
    String presented = ctx.header(HEADER);
    if (presented == null || !MessageDigest.isEqual(digest, BearerAuth.digest(presented))) {
      throw new BearerAuth.AuthException(401, "internal endpoints answer only the other instances: "
          + HEADER + " missing or wrong");
    }
  }
}
