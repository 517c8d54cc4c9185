package kvmsim.actors.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A trace long enough to catch a replay in the middle: one x86 VM whose vCPU writes 4,096 pages over and over. */
public final class LongTrace {

    private LongTrace() {
    }

    /** Writes the set-up and {@code writes} GUEST_WRITEs (4 + writes steps) to {@code file}. */
    public static Path write(Path file, int writes) throws IOException {
        List<String> lines = new ArrayList<>(List.of(
                "{\"op\":\"KVM_CREATE_VM\",\"vm\":\"vm0\",\"arch\":\"x86_64\"}",
                "{\"op\":\"KVM_CREATE_VCPU\",\"vm\":\"vm0\",\"vcpu\":0}",
                "{\"op\":\"KVM_SET_USER_MEMORY_REGION\",\"vm\":\"vm0\",\"slot\":0,\"guest_phys_addr\":0,"
                        + "\"memory_size\":\"0x1000000\",\"userspace_addr\":\"0x7f0000000000\"}",
                "{\"op\":\"KVM_RUN\",\"vm\":\"vm0\",\"vcpu\":0}"));
        for (int i = 0; i < writes; i++) {
            lines.add("{\"op\":\"GUEST_WRITE\",\"vm\":\"vm0\",\"vcpu\":0,\"gpa\":" + (i % 4096) * 4096 + "}");
        }
        return Files.write(file, lines);
    }
}
