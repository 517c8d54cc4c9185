package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import kvmsim.actors.testing.Cli;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The HTML report in a real headless browser (Debian's chromium, which .ci/run installs and then
 * sets KVMSIM_REQUIRE_BROWSER=1 so CI fails rather than skips without one): the page
 * runs without a console error, draws a lane per entity, a curve per broadcast receiver and a box
 * per violation, and its screenshot shows the lanes and the marks.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReportBrowserTest {

    private String chromium;
    private Path dir;
    private String journal;

    @BeforeAll
    void setUp() throws Exception {
        chromium = onPath();
        if (chromium == null && System.getenv("KVMSIM_REQUIRE_BROWSER") != null) {
            throw new AssertionError("KVMSIM_REQUIRE_BROWSER is set and there is no chromium (.ci/run installs it)");
        }
        Assumptions.assumeTrue(chromium != null, "no chromium on this machine (apt-get install chromium)");
        dir = Files.createTempDirectory("kvmsim-browser");
        journal = "h2:" + dir.resolve("journal");
        assertEquals(0, kvmsim("replay", "-q", "--journal", journal, "--run", "rb", HistoryCommandsTest.FLUSH,
                "examples/x86/seed-004-if-modified-stale-tlb.trace").status());
    }

    @Test
    void broadcastsRenderWithoutConsoleErrorsAndTheScreenshotShowsTheLanes() throws Exception {
        Path html = report("rb-1");
        JsonNode data = data(Files.readString(html));
        String dom = loadAndCheck(html, data);
        int receivers = 0;
        for (JsonNode b : data.get("broadcasts")) {
            receivers += b.get("toLanes").size();
        }
        assertTrue(receivers > 0, "this run has broadcasts: " + data.get("broadcasts"));
        assertEquals(receivers, count(dom, "class=\"broadcast\""));

        BufferedImage shot = screenshot(html, dir.resolve("rb-1.png"));
        // the lane stripes (#eef2f7) span the width, and each entity kind's marks are there
        assertTrue(pixels(shot, 0xeef2f7) > 20_000, "lane stripes");
        for (int color : new int[] {0x6a51a3, 0x1f77b4, 0x2ca02c, 0xff7f0e, 0x9467bd}) {
            assertTrue(pixels(shot, color) > 20, String.format("colour %06x in the screenshot", color));
        }
    }

    @Test
    void violationsAreBoxedWithTheirChains() throws Exception {
        Path html = report("rb-2");
        JsonNode data = data(Files.readString(html));
        assertEquals(2, data.get("violations").size(), "stale-writable-tlb and dirty-log-completeness");
        String dom = loadAndCheck(html, data);
        assertEquals(2, count(dom, "class=\"violation-cell\""));
        assertEquals(2, count(dom, "class=\"chain-line\""));
        assertTrue(count(dom, "class=\"mark chain\"") >= 3, "the chain's marks are outlined");
        BufferedImage shot = screenshot(html, dir.resolve("rb-2.png"));
        assertTrue(pixels(shot, 0xd62728) > 50, "violations in red");
    }

    private Path report(String run) {
        Path html = dir.resolve(run + ".html");
        Cli.Result r = kvmsim("report", "--journal", journal, "--run", run, "--html", html.toString());
        assertEquals(0, r.status(), r.err());
        return html;
    }

    /** Loads the page, fails on any console error, returns the DOM after the script ran. */
    private String loadAndCheck(Path html, JsonNode data) throws Exception {
        Run r = run(List.of("--enable-logging=stderr", "--v=0", "--dump-dom", html.toUri().toString()));
        for (String line : r.err.split("\n")) {
            assertTrue(!line.contains("CONSOLE") && !line.contains("Uncaught"), "console: " + line);
        }
        Matcher body = Pattern.compile("<body data-errors=\"(\\d+)\" data-rendered=\"(\\d+)\"").matcher(r.out);
        assertTrue(body.find(), "the script ran to its end: " + r.out.substring(0, Math.min(400, r.out.length())));
        assertEquals("0", body.group(1), "errors the page caught");
        assertEquals(data.get("lanes").size(), Integer.parseInt(body.group(2)));
        assertEquals(data.get("lanes").size(), count(r.out, "class=\"lane\""));
        assertEquals(data.get("marks").size(), count(r.out, "class=\"mark"));
        return r.out;
    }

    private BufferedImage screenshot(Path html, Path png) throws Exception {
        run(List.of("--hide-scrollbars", "--window-size=1400,800", "--screenshot=" + png, html.toUri().toString()));
        assertTrue(Files.size(png) > 0, "screenshot written");
        return ImageIO.read(png.toFile());
    }

    private record Run(String out, String err) {
    }

    private Run run(List<String> args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--user-data-dir=" + dir.resolve("profile")));
        cmd.addAll(args);
        Path out = Files.createTempFile(dir, "chromium", ".out");
        Path err = Files.createTempFile(dir, "chromium", ".err");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(out.toFile())
                .redirectError(err.toFile()).start();
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "chromium finished");
        assertEquals(0, p.exitValue(), Files.readString(err));
        return new Run(Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private static int count(String s, String needle) {
        return s.split(Pattern.quote(needle), -1).length - 1;
    }

    private static int pixels(BufferedImage img, int rgb) {
        int n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }

    /** The run data the report embeds. */
    static JsonNode data(String page) throws IOException {
        int start = page.indexOf("type=\"application/json\">") + "type=\"application/json\">".length();
        int end = page.indexOf("</script>", start);
        return new ObjectMapper().readTree(page.substring(start, end).replace("<\\/", "</"));
    }

    private static String onPath() {
        for (String name : List.of("chromium", "chromium-browser", "google-chrome")) {
            for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
                File f = new File(d, name);
                if (f.canExecute()) {
                    return f.getPath();
                }
            }
        }
        return null;
    }
}
