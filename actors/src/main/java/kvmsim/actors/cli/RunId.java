package kvmsim.actors.cli;

import java.util.regex.Pattern;

/**
 * What a run id may be: 1 to 64 letters, digits, '_', '.' and '-', starting with a letter or a
 * digit. It is the first segment of every persistence id of the run ({@code <run>/vm/vm0}), so a
 * '/' would change what the journal's ids mean, and the journal's columns are finite.
 */
final class RunId {

    static final String RULE = "1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit";
    private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    private RunId() {
    }

    /** {@code id}, or BadInput naming {@code option} when it is not a valid run id. */
    static String check(String id, String option) {
        if (id != null && !VALID.matcher(id).matches()) {
            String shown = id.length() > 80 ? id.substring(0, 77) + "..." : id;
            throw new BadInput(option + " '" + shown + "': a run id is " + RULE);
        }
        return id;
    }
}
