package kvmsim.actors;

import java.io.File;
import java.util.concurrent.TimeUnit;

/** What the browser and cluster tests need from the machine: a Debian package, installed when the tests run as root. */
final class DebianPackage {

    private DebianPackage() {
    }

    static boolean runningAsRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** apt-get install, when allowed here; whether it worked is for the caller to look at. */
    static void installIfAllowed(String name) throws Exception {
        if (!runningAsRoot() || !new File("/usr/bin/apt-get").canExecute()) {
            return;
        }
        Process p = new ProcessBuilder("apt-get", "install", "-y", "--no-install-recommends", name)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor(600, TimeUnit.SECONDS);
    }
}
