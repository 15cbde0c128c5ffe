package dev.tally.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ParamsTest {

  @Test
  void respondAsyncIsFoundInAnyPreferHeaderAndAnyPlaceOfItsList() {
    assertThat(Params.respondAsync(List.of())).isFalse();
    assertThat(Params.respondAsync(List.of("respond-async"))).isTrue();
    assertThat(Params.respondAsync(List.of("wait=5, Respond-Async"))).isTrue();
    // Two Prefer headers mean what one list does (RFC 7240), on the single and the batch route alike.
    assertThat(Params.respondAsync(List.of("wait=5", "respond-async"))).isTrue();
    assertThat(Params.respondAsync(List.of("wait=5", "return=minimal"))).isFalse();
    assertThat(Params.respondAsync(List.of("respond-asynchronously"))).isFalse();
  }
}
