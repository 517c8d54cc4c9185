package kvmsim.journal.strace;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The request argument of an ioctl as strace prints it: a name, names strace could not choose between, or {@code _IOC(...)}. */
final class IoctlRequest {

    private static final Pattern IOC = Pattern.compile("_IOC\\((.*)\\)");

    private IoctlRequest() {
    }

    /** The request's name: {@code SNDCTL_TMR_START or TCSETS} keeps a KVM name if one of them is; {@code _IOC(...)} stays as printed. */
    static String name(String request) {
        String[] alternatives = request.split(" or ");
        for (String a : alternatives) {
            if (a.strip().startsWith("KVM_")) {
                return a.strip();
            }
        }
        return alternatives[0].strip().replace(" ", "");
    }

    /** An ioctl number strace had no name for, of KVM's type 0xae: {@code _IOC(_IOC_READ, 0xae, 0xd6, 0x10)}. */
    static boolean isKvmIoc(String request) {
        Matcher m = IOC.matcher(request.strip());
        if (!m.matches()) {
            return false;
        }
        List<String> parts = StraceGrammar.splitArgs(m.group(1));
        return parts.size() == 4 && parts.get(1).equalsIgnoreCase("0xae");
    }
}
