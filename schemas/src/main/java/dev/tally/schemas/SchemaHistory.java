package dev.tally.schemas;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.message.SchemaStore;

/** Every schema Tally has ever written, loaded from {@code history/index.txt}. */
public final class SchemaHistory {

  private static final String FOLDER = "history/";

  private SchemaHistory() {}

  /** The historical writer schemas of {@code IncrementEvent}, oldest first. */
  public static List<Schema> incrementEventVersions() {
    return versions("IncrementEvent");
  }

  /** The historical writer schemas of the record {@code name}, oldest first. */
  public static List<Schema> versions(String name) {
    List<Schema> schemas = new ArrayList<>();
    for (String file : indexEntries()) {
      if (!file.startsWith(name + "-v")) {
        continue;
      }
      try (InputStream in = resource(FOLDER + file)) {
        schemas.add(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read schema history file " + file, e);
      }
    }
    return List.copyOf(schemas);
  }

  /** A schema store that resolves the fingerprint of every historical version of {@code IncrementEvent}. */
  public static SchemaStore.Cache incrementEventStore() {
    return store("IncrementEvent");
  }

  /** A schema store that resolves the fingerprint of every historical version of the record {@code name}. */
  public static SchemaStore.Cache store(String name) {
    SchemaStore.Cache store = new SchemaStore.Cache();
    versions(name).forEach(store::addSchema);
    return store;
  }

  private static List<String> indexEntries() {
    List<String> entries = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(
        new InputStreamReader(resource(FOLDER + "index.txt"), StandardCharsets.UTF_8))) {
      for (String line = reader.readLine(); line != null; line = reader.readLine()) {
        String entry = line.strip();
        if (!entry.isEmpty() && !entry.startsWith("#")) {
          entries.add(entry);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read schema history index", e);
    }
    return entries;
  }

  private static InputStream resource(String name) {
    InputStream in = SchemaHistory.class.getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException("missing schema history resource " + name);
    }
    return in;
  }
}
