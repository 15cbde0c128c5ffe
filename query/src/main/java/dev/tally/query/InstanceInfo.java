package dev.tally.query;

import java.util.List;

/** One instance of the application: where it answers, its state, and the partitions it holds. */
public record InstanceInfo(String address, String state, boolean self, List<String> activePartitions,
    List<String> standbyPartitions) {}
