package io.cubist.jobs.extract;

import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.TaskContext;

/**
 * Off-heap memory of an executor JVM: one Arrow root allocator, and one named child allocator per segment a task
 * processes (its clip batches are children of that). Closing a segment's allocator checks that everything was
 * released.
 */
final class ExecutorAllocators {
    /** Clip batches of one segment may hold at most this much (three batches in flight). */
    static final long SEGMENT_LIMIT = 4L << 30;
    private static final RootAllocator ROOT = new RootAllocator(Long.MAX_VALUE);

    private ExecutorAllocators() {
    }

    static BufferAllocator forSegment(Segment s) {
        TaskContext tc = TaskContext.get();
        String task = tc == null ? "local" : "task-" + tc.taskAttemptId();
        String video = s.video().substring(Math.max(0, s.video().lastIndexOf('/') + 1));
        return ROOT.newChildAllocator(task + ":" + video + "#" + s.index(), 0, SEGMENT_LIMIT);
    }

    /** Closes a segment's allocator; returns what leaked (null when nothing did). */
    static String close(BufferAllocator a) {
        long held = a.getAllocatedMemory();
        try {
            a.close();
            return null;
        } catch (IllegalStateException e) {
            return "allocator " + a.getName() + " leaked " + held + " bytes: " + e.getMessage();
        }
    }

    /** Bytes the executor's allocator holds now (0 between tasks). */
    static long allocated() {
        return ROOT.getAllocatedMemory();
    }
}
