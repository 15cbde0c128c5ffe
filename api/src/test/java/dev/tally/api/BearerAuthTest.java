package dev.tally.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 14, item 1: the tokens file, one TOKEN ROLE[,ROLE...] per line, # starts a comment. */
class BearerAuthTest {

  @TempDir
  Path dir;

  @Test
  void aTokensFileReadsWithCommentsAndBlankLines() throws Exception {
    Path file = Files.writeString(dir.resolve("tokens"), """
        # Tally tokens
        reader-token read
        writer-token   write,read   # the ingest service

        ops-token admin
        """);
    assertThat(BearerAuth.fromFile(file).enabled()).isTrue();
    assertThat(BearerAuth.off().enabled()).isFalse();
  }

  @Test
  void aBadLineIsNamedByItsNumber() throws Exception {
    Path noRole = Files.writeString(dir.resolve("no-role"), "# ok\nlonely-token\n");
    assertThatThrownBy(() -> BearerAuth.fromFile(noRole)).hasMessageContaining("line 2")
        .hasMessageContaining("TOKEN ROLE");
    Path badRole = Files.writeString(dir.resolve("bad-role"), "t1 read\nt2 read,superuser\n");
    assertThatThrownBy(() -> BearerAuth.fromFile(badRole)).hasMessageContaining("line 2")
        .hasMessageContaining("superuser").hasMessageNotContaining("t2");
    Path empty = Files.writeString(dir.resolve("empty"), "# nothing\n\n");
    assertThatThrownBy(() -> BearerAuth.fromFile(empty)).hasMessageContaining("no token");
  }
}
