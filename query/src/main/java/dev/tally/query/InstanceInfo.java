package dev.tally.query;

import java.util.List;

/**
 * One instance of the application: where it answers, its state, how many input records it has yet to
 * count ({@link InstanceState#lag()}, -1 unknown), and the partitions it holds.
 */
public record InstanceInfo(String address, String state, long lag, boolean self, List<String> activePartitions,
    List<String> standbyPartitions) {}
