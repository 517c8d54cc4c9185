package kvmsim.actors.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import kvmsim.domain.history.Timeline;

/**
 * The HTML report: one self-contained file (styles, script and data inline, nothing fetched) that
 * draws a {@link Timeline} in the browser. The data goes in as JSON inside a non-executed script
 * element, with {@code </} escaped so no event text can close it.
 */
public final class TimelineHtml {

    private static final String PLACEHOLDER = "__KVMSIM_DATA__";

    private TimelineHtml() {
    }

    public static String render(Timeline timeline) {
        String json;
        try {
            json = new ObjectMapper().writeValueAsString(timeline);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the timeline as JSON", e);
        }
        return template().replace(PLACEHOLDER, json.replace("</", "<\\/"));
    }

    private static String template() {
        try (InputStream in = TimelineHtml.class.getResourceAsStream("/kvmsim/report/timeline.html")) {
            if (in == null) {
                throw new IllegalStateException("the report template is not on the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the report template", e);
        }
    }
}
