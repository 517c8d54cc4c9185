package kvmsim.actors;

import static kvmsim.actors.testing.Cli.kvmsim;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import kvmsim.actors.report.TimelineHtml;
import kvmsim.actors.testing.Chromium;
import kvmsim.actors.testing.Cli;
import kvmsim.domain.history.Timeline;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The HTML report in a real headless browser (Debian's chromium, which .ci/run installs and then
 * sets KVMSIM_REQUIRE_BROWSER=1 so CI fails rather than skips without one), driven over the
 * DevTools protocol at a 1400x900 viewport: the page runs without an error and fetches nothing,
 * draws what the run holds, opens a real QEMU recording on a shootdown beside the step table, and
 * its controls (jumps, zoom, filters, search, the table and the timeline selecting each other) do
 * what they say. Screenshots are kept in the test's temporary folder (the path is printed).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReportBrowserTest {

    static final String QEMU = "examples/strace/qemu-7.2-x86_64-1vcpu-migrate.trace";
    private static final int WIDTH = 1400;
    private static final int HEIGHT = 900;
    private static final int LABEL_W = 180; // the page's lane-label column
    private static final int BROADCAST = 0x9467bd;

    private Path dir;
    private String journal;
    private Chromium browser;

    @BeforeAll
    void setUp() throws Exception {
        String chromium = Chromium.find();
        if (chromium == null && System.getenv("KVMSIM_REQUIRE_BROWSER") != null) {
            throw new AssertionError("KVMSIM_REQUIRE_BROWSER is set and there is no chromium (.ci/run installs it)");
        }
        Assumptions.assumeTrue(chromium != null, "no chromium on this machine (apt-get install chromium)");
        dir = Files.createTempDirectory("kvmsim-browser");
        System.out.println("ReportBrowserTest: pages and screenshots in " + dir);
        journal = "h2:" + dir.resolve("journal");
        assertEquals(0, kvmsim("replay", "-q", "--journal", journal, "--run", "rb", HistoryCommandsTest.FLUSH,
                "examples/x86/seed-004-if-modified-stale-tlb.trace").status());
        assertEquals(0, kvmsim("replay", "-q", "--journal", journal, "--run", "rbq", QEMU).status());
        browser = Chromium.start(chromium, dir);
    }

    @AfterAll
    void tearDown() throws Exception {
        if (browser != null) {
            browser.close();
        }
    }

    @AfterEach
    void noErrorsAndNothingFetched() {
        if (browser == null) {
            return;
        }
        assertEquals(List.of(), browser.errors(), "exceptions or console errors");
        for (String url : browser.requests()) {
            assertTrue(url.startsWith("file:") || url.equals("about:blank"), "the page fetched " + url);
        }
    }

    @Test
    void broadcastsRenderWithoutErrorsAndTheScreenshotShowsTheLanes() throws Exception {
        Path html = report("rb-1");
        JsonNode data = data(Files.readString(html));
        open(html);
        JsonNode stats = stats();
        assertEquals(data.get("lanes").size(), stats.get("lanes").asInt(), "a lane per entity");
        assertEquals(data.get("marks").size(), stats.get("marks").asInt(), "a small run is shown whole: every mark");
        int arrows = 0;
        for (JsonNode b : data.get("broadcasts")) {
            assertEquals(b.get("toLanes").size(), b.get("acks").size());
            for (JsonNode ack : b.get("acks")) {
                assertTrue(ack.asInt() >= 0, "every vCPU acknowledged: " + b);
                arrows += 2; // request -> ack, ack -> completion
            }
            assertTrue(b.get("completion").asInt() > b.get("mark").asInt(), "completed after the request: " + b);
        }
        assertTrue(arrows > 0, "this run has broadcasts: " + data.get("broadcasts"));
        assertEquals(arrows, stats.get("arrows").asInt());
        assertEquals(List.of("line", "op", "result", "mismatch", "violations", "entities"),
                strings("Array.from(document.querySelectorAll('.thead span')).map(e => e.textContent)"),
                "every step on the trace's one thread: no thread column");

        BufferedImage shot = browser.screenshot(dir.resolve("rb-1.png"));
        Box timeline = box("#timeline");
        assertTrue(pixels(shot, timeline, 0xeef2f7) > 20_000, "lane stripes");
        for (int color : new int[] {0x6a51a3, 0x1f77b4, 0x2ca02c, 0xff7f0e, BROADCAST}) {
            assertTrue(pixels(shot, timeline, color) > 20, String.format("colour %06x in the timeline", color));
        }
    }

    @Test
    void broadcastOrderIsDrawnLeftToRightRequestAcksCompletion() throws Exception {
        Path html = report("rb-1");
        JsonNode data = data(Files.readString(html));
        open(html);
        for (JsonNode b : data.get("broadcasts")) {
            double request = markX(b.get("mark").asInt());
            double completion = markX(b.get("completion").asInt());
            // the receivers answer in any order (the journal's); each after the request, all before the completion
            Set<Double> xs = new HashSet<>();
            for (JsonNode ack : b.get("acks")) {
                double x = markX(ack.asInt());
                assertTrue(x > request + 2, "an ack after the request: " + b);
                assertTrue(completion > x + 2, "the completion after every ack: " + b);
                xs.add(x);
            }
            assertEquals(b.get("acks").size(), xs.size(), "each ack at its own x: " + b);
        }
    }

    @Test
    void violationsAreBoxedWithTheirChainsAndJumpedTo() throws Exception {
        Path html = report("rb-2");
        JsonNode data = data(Files.readString(html));
        assertEquals(2, data.get("violations").size(), "stale-writable-tlb and dirty-log-completeness");
        open(html);
        JsonNode stats = stats();
        assertEquals(2, stats.get("violationBoxes").asInt());
        assertEquals(2, stats.get("chainLines").asInt());
        BufferedImage shot = browser.screenshot(dir.resolve("rb-2.png"));
        assertTrue(pixels(shot, box("#timeline"), 0xd62728) > 50, "violations in red");

        assertEquals("\u2013/2", text("#v-count"), "a short run opens whole, on no violation in particular");
        String[][] clicks = {{"v-next", "0"}, {"v-next", "1"}, {"v-prev", "0"}, {"v-prev", "1"}};
        for (String[] click : clicks) {
            clickId(click[0]);
            int i = Integer.parseInt(click[1]);
            JsonNode v = data.get("violations").get(i);
            assertEquals((i + 1) + "/2", text("#v-count"), click[0]);
            assertEquals(v.get("column").asInt(), view().get("selected").asInt());
            assertTrue(inView(v.get("column").asInt()), "the violation's step is on screen");
            assertTrue(text("#rows .row.sel").startsWith(v.get("line").asText()), text("#rows .row.sel"));
            assertTrue(text("#step-details").contains("violation: " + v.get("invariant").asText()),
                    text("#step-details"));
        }
    }

    /** The user's report: on the real recording the first screen showed only host mmap dots. */
    @Test
    void theQemuRecordingOpensOnAShootdownBesideTheStepTable() throws Exception {
        Path html = report("rbq");
        JsonNode data = data(Files.readString(html));
        assertEquals(5, data.get("broadcasts").size());
        assertTrue(data.get("columns").size() > 2000);
        open(html);
        BufferedImage shot = browser.screenshot(dir.resolve("qemu-first-screen.png"));

        assertEquals(List.of("line", "thread", "op", "result", "mismatch", "violations", "entities"),
                strings("Array.from(document.querySelectorAll('.thead span')).map(e => e.textContent)"),
                "the recording's steps come from several threads");
        Box head = box(".thead");
        assertTrue(head.bottom() < HEIGHT - 200, "the step table starts on the first screen: " + head);
        assertTrue(pixels(shot, head, 0xdde4ee) > head.area() / 2, "its header is painted");
        Box rows = box("#rows-scroller");
        int rendered = browser.eval("document.querySelectorAll('#rows .row').length").asInt();
        assertTrue(rendered >= 10 && rendered < 100, "rows on screen, and only those: " + rendered);
        assertTrue(dark(shot, rows) > 2000, "the rows' text is on the screen");

        Box timeline = box("#timeline");
        assertTrue(timeline.bottom() <= HEIGHT, "the timeline is on the first screen: " + timeline);
        assertTrue(pixels(shot, timeline, BROADCAST) > 150, "a shootdown is on the first screen");
        JsonNode view = view();
        boolean shown = false;
        for (JsonNode b : data.get("broadcasts")) {
            shown |= inView(b.get("column").asInt());
        }
        assertTrue(shown, "a broadcast's step is in the view: " + view);

        for (String id : List.of("zoom-in", "zoom-out", "zoom-fit", "bc-prev", "bc-next", "v-prev", "v-next", "search",
                "lane-list", "event-kinds", "overview")) {
            assertTrue(browser.eval("document.getElementById('" + id + "') != null").asBoolean(), id);
        }
        assertEquals(List.of("host", "vm", "vcpu", "slot"), strings(
                "Array.from(document.querySelectorAll('#lane-kinds input')).map(e => e.dataset.kind)"));
        Set<String> kinds = new HashSet<>();
        data.get("marks").forEach(m -> kinds.add(m.get("event").asText()));
        assertEquals(kinds, new HashSet<>(strings(
                "Array.from(document.querySelectorAll('#event-kinds input')).map(e => e.dataset.event)")));
        assertEquals(data.get("lanes").size(), browser.eval("document.querySelectorAll('#lane-list input').length").asInt());
    }

    @Test
    void jumpingToABroadcastScrollsItIntoView() throws Exception {
        Path html = report("rbq");
        JsonNode data = data(Files.readString(html));
        open(html);
        clickId("zoom-fit");
        assertEquals(view().get("fitUnit").asDouble(), view().get("unit").asDouble(), 1e-9);
        assertEquals(0, view().get("firstColumn").asInt());
        for (int i = 0; i < 5; i++) {
            clickId("zoom-in");
        }
        browser.eval("document.getElementById('scroller').scrollLeft = 0");
        browser.settle();
        int first = data.get("broadcasts").get(0).get("column").asInt();
        assertFalse(inView(first), "zoomed in at the start, the first broadcast is off screen: " + view());

        int before = view().get("broadcast").asInt();
        clickId("bc-next");
        int now = (before + 1) % 5;
        JsonNode b = data.get("broadcasts").get(now);
        assertEquals((now + 1) + "/5", text("#bc-count"));
        assertTrue(inView(b.get("column").asInt()), "the broadcast is on screen after the jump: " + view());
        assertEquals(b.get("column").asInt(), view().get("selected").asInt(), "its step is selected");
        assertTrue(text("#rows .row.sel").startsWith(data.get("columns").get(b.get("column").asInt()).get("line").asText()));
        BufferedImage shot = browser.screenshot(dir.resolve("qemu-jump.png"));
        assertTrue(pixels(shot, box("#timeline"), BROADCAST) > 150, "and drawn");

        clickId("bc-prev");
        assertEquals(((now + 4) % 5 + 1) + "/5", text("#bc-count"));
        assertTrue(inView(data.get("broadcasts").get((now + 4) % 5).get("column").asInt()));
    }

    @Test
    void laneLabelsStayWhileTheRunScrollsAndZoomWorksEveryWay() throws Exception {
        Path html = report("rbq");
        open(html);
        browser.eval("document.getElementById('scroller').scrollLeft = 1e9");
        BufferedImage shot = browser.screenshot(dir.resolve("qemu-scrolled-right.png"));
        Box timeline = box("#timeline");
        assertTrue(view().get("scrollLeft").asDouble() > 1000, "scrolled along the run: " + view());
        Box labels = new Box(timeline.x(), timeline.y() + 32, LABEL_W - 2, timeline.height() - 34);
        assertTrue(pixels(shot, labels, 0xf4f6fa) > labels.area() / 2, "the label column is still there");
        assertTrue(dark(shot, labels) > 100, "with the lanes' names");
        assertEquals(view().get("visibleLanes").asInt(), stats().get("labels").asInt());

        double u = view().get("unit").asDouble();
        clickId("zoom-in");
        assertEquals(Math.min(48, u * 1.6), view().get("unit").asDouble(), 1e-6, "the + button");
        clickId("zoom-out");
        assertEquals(u, view().get("unit").asDouble(), 1e-6, "the - button");
        browser.wheel(timeline.x() + timeline.width() / 2, timeline.y() + 60, 200, 2);
        browser.settle();
        double wheeled = view().get("unit").asDouble();
        assertTrue(wheeled < u, "ctrl+wheel down zooms out: " + wheeled);
        browser.key("+");
        assertEquals(wheeled * 1.6, view().get("unit").asDouble(), 1e-6, "the + key");
        browser.key("0");
        assertEquals(view().get("fitUnit").asDouble(), view().get("unit").asDouble(), 1e-9, "0 fits the run");
        JsonNode fit = view();
        assertEquals(0, fit.get("firstColumn").asInt());
        assertTrue(fit.get("lastColumn").asInt() >= 2058, "the whole run in the window: " + fit);
    }

    @Test
    void filtersSearchAndTheTwoWayLinkBetweenTableAndTimeline() throws Exception {
        Path html = report("rbq");
        JsonNode data = data(Files.readString(html));
        open(html);
        clickId("zoom-fit");
        int lanes = data.get("lanes").size();
        assertEquals(data.get("marks").size(), stats().get("marks").asInt(), "at fit every mark is in view");

        browser.eval("document.querySelector('#lane-kinds input[data-kind=slot]').click()");
        browser.settle();
        assertEquals(lanes - 6, view().get("visibleLanes").asInt(), "the six memslots hidden");
        assertEquals(lanes - 6, stats().get("lanes").asInt());
        browser.eval("document.querySelector('#lane-kinds input[data-kind=slot]').click()");
        browser.eval("document.querySelector('#lane-list input[data-lane=\"host/host0\"]').click()");
        browser.settle();
        assertEquals(lanes - 1, stats().get("lanes").asInt(), "one lane hidden by name");
        browser.eval("document.querySelector('#lane-list input[data-lane=\"host/host0\"]').click()");

        int entered = 0;
        for (JsonNode m : data.get("marks")) {
            entered += m.get("event").asText().equals("VcpuEnteredGuest") ? 1 : 0;
        }
        browser.eval("document.querySelector('#event-kinds input[data-event=VcpuEnteredGuest]').click()");
        browser.settle();
        assertEquals(data.get("marks").size() - entered, stats().get("marks").asInt(), "one event kind hidden");
        clickId("kinds-all");

        assertEquals(5, search("has:broadcast"));
        int setRegion = 0;
        int onVcpu;
        int vcpuLane = lanesList(data).indexOf("vcpu/vm0/0");
        for (int c = 0; c < data.get("columns").size(); c++) {
            setRegion += data.get("columns").get(c).get("op").asText().equals("KVM_SET_USER_MEMORY_REGION") ? 1 : 0;
        }
        Set<Integer> vcpuColumns = new HashSet<>();
        for (JsonNode m : data.get("marks")) {
            if (m.get("lane").asInt() == vcpuLane) {
                vcpuColumns.add(m.get("column").asInt());
            }
        }
        onVcpu = vcpuColumns.size();
        assertTrue(setRegion > 10 && onVcpu > 100, setRegion + " " + onVcpu);
        assertEquals(setRegion, search("op:KVM_SET_USER_MEMORY_REGION"));
        assertEquals(onVcpu, search("entity:vcpu/vm0/0"));
        int inRange = 0;
        for (JsonNode c : data.get("columns")) {
            int l = c.get("line").asInt();
            inRange += l >= 3300 && l <= 3340 && c.get("op").asText().startsWith("KVM_SET_USER") ? 1 : 0;
        }
        assertTrue(inRange >= 5, "the five shootdowns' steps are there");
        assertEquals(inRange, search("line:3300-3340 op:KVM_SET_USER"));
        assertEquals(data.get("columns").size() - setRegion, search("-op:KVM_SET_USER_MEMORY_REGION"));
        assertEquals(data.get("columns").size(), search(""));

        // a row click selects the step on the timeline, and brings it into view
        browser.eval("document.getElementById('rows-scroller').scrollTop = 22 * 1000");
        browser.settle();
        Box row = box("#rows .row:nth-child(8)");
        int col = browser.eval("Number(document.querySelector('#rows .row:nth-child(8)').dataset.col)").asInt();
        browser.click(row.x() + 30, row.y() + row.height() / 2);
        browser.settle();
        assertEquals(col, view().get("selected").asInt());
        assertTrue(inView(col), "the timeline shows the row's step");

        // a click on the timeline selects its step's row
        JsonNode target = data.get("broadcasts").get(2);
        clickId("zoom-in");
        browser.eval("kvmsimReport.draw()");
        JsonNode cb = browser.eval("kvmsimReport.columnBox(" + target.get("column").asInt() + ")");
        browser.eval("document.getElementById('scroller').scrollLeft += " + (cb.get("left").asDouble() - 700));
        browser.settle();
        cb = browser.eval("kvmsimReport.columnBox(" + target.get("column").asInt() + ")");
        Box timeline = box("#timeline");
        browser.click(timeline.x() + (cb.get("left").asDouble() + cb.get("right").asDouble()) / 2, timeline.y() + 60);
        browser.settle();
        assertEquals(target.get("column").asInt(), view().get("selected").asInt());
        String line = data.get("columns").get(target.get("column").asInt()).get("line").asText();
        assertTrue(text("#rows .row.sel").startsWith(line), "the row is selected: " + text("#rows .row.sel"));
        assertTrue(text("#step-details").contains("request vm/vm0"), text("#step-details"));
    }

    /** Every step, event and broadcast of a 100,000-event run in one page: the DOM stays small, a frame quick. */
    @Test
    void aHundredThousandEventRunStaysSmallAndQuick() throws Exception {
        Path html = dir.resolve("big.html");
        Timeline big = BigTimeline.of(100_000);
        Files.writeString(html, TimelineHtml.render(big));
        long ms = browser.open(html, WIDTH, HEIGHT);
        browser.settle();
        int nodes = browser.eval("document.getElementsByTagName('*').length").asInt();
        assertTrue(nodes < 1500, "the DOM holds what is on screen, not the run: " + nodes + " elements");
        clickId("zoom-fit");
        double frame = browser.eval("(() => { const t = performance.now(); kvmsimReport.draw(); "
                + "return performance.now() - t; })()").asDouble();
        assertEquals(big.columns().size(), stats().get("columns").asInt(), "at fit every step is in view");
        assertTrue(frame < 1000, "a frame of the whole run takes " + frame + " ms");
        // with the vCPUs and memslots hidden, the remaining lanes fit the window: all their marks are drawn
        browser.eval("document.querySelector('#lane-kinds input[data-kind=vcpu]').click()");
        browser.eval("document.querySelector('#lane-kinds input[data-kind=slot]').click()");
        long onHostsAndVms = big.marks().stream().filter(m -> !big.lanes().get(m.lane()).startsWith("vcpu/")
                && !big.lanes().get(m.lane()).startsWith("slot/")).count();
        assertEquals(onHostsAndVms, stats().get("marks").asLong());
        assertTrue(ms < 60_000, "opening took " + ms + " ms");
        assertTrue(search("has:broadcast") > 100);
        System.out.printf("ReportBrowserTest: 100k events: opened in %d ms, a fit-to-width frame %.0f ms, %d elements%n",
                ms, frame, nodes);
    }

    // ---- helpers

    private Path report(String run) {
        Path html = dir.resolve(run + ".html");
        Cli.Result r = kvmsim("report", "--journal", journal, "--run", run, "--html", html.toString());
        assertEquals(0, r.status(), r.err());
        return html;
    }

    private void open(Path html) throws Exception {
        browser.open(html, WIDTH, HEIGHT);
        browser.settle();
        assertEquals("0", browser.eval("document.body.dataset.errors").asText(), "errors the page caught");
    }

    private JsonNode stats() throws Exception {
        browser.settle();
        return browser.eval("kvmsimReport.stats()");
    }

    private JsonNode view() throws Exception {
        browser.settle();
        return browser.eval("kvmsimReport.view()");
    }

    /** Whether step {@code c} is wholly within the visible part of the timeline. */
    private boolean inView(int c) throws Exception {
        JsonNode b = browser.eval("kvmsimReport.columnBox(" + c + ")");
        return b.get("left").asDouble() >= LABEL_W - 1 && b.get("right").asDouble() <= b.get("width").asDouble() + 1;
    }

    /** A mark's x on the canvas, from the page's own layout. */
    private double markX(int id) throws Exception {
        return browser.eval("(() => { const m = JSON.parse(document.getElementById('data').textContent).marks[" + id
                + "]; const b = kvmsimReport.columnBox(m.column); const n = Math.max(1, JSON.parse("
                + "document.getElementById('data').textContent).columns[m.column].events); "
                + "return b.left + (b.right - b.left) * (m.slot + 0.5) / n; })()").asDouble();
    }

    private void clickId(String id) throws Exception {
        Box b = box("#" + id);
        browser.click(b.x() + b.width() / 2, b.y() + b.height() / 2);
        browser.settle();
    }

    private int search(String query) throws Exception {
        browser.eval("(() => { const s = document.getElementById('search'); s.value = " + new ObjectMapper()
                .writeValueAsString(query) + "; s.dispatchEvent(new Event('input')); })()");
        Thread.sleep(400); // the box waits for typing to pause
        return view().get("rows").asInt();
    }

    private String text(String selector) throws Exception {
        return browser.eval("(document.querySelector('" + selector + "') || {}).textContent || ''").asText();
    }

    private List<String> strings(String expression) throws Exception {
        List<String> out = new ArrayList<>();
        browser.eval(expression).forEach(n -> out.add(n.asText()));
        return out;
    }

    private static List<String> lanesList(JsonNode data) {
        List<String> out = new ArrayList<>();
        data.get("lanes").forEach(n -> out.add(n.asText()));
        return out;
    }

    record Box(double x, double y, double width, double height) {
        double bottom() {
            return y + height;
        }

        int area() {
            return (int) (width * height);
        }
    }

    private Box box(String selector) throws Exception {
        JsonNode r = browser.eval("(() => { const r = document.querySelector('" + selector.replace("'", "\\'")
                + "').getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; })()");
        return new Box(r.get(0).asDouble(), r.get(1).asDouble(), r.get(2).asDouble(), r.get(3).asDouble());
    }

    private static int pixels(BufferedImage img, Box b, int rgb) {
        int n = 0;
        for (int y = (int) Math.max(0, b.y()); y < Math.min(img.getHeight(), b.bottom()); y++) {
            for (int x = (int) Math.max(0, b.x()); x < Math.min(img.getWidth(), b.x() + b.width()); x++) {
                if ((img.getRGB(x, y) & 0xffffff) == rgb) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Pixels dark enough to be text. */
    private static int dark(BufferedImage img, Box b) {
        int n = 0;
        for (int y = (int) Math.max(0, b.y()); y < Math.min(img.getHeight(), b.bottom()); y++) {
            for (int x = (int) Math.max(0, b.x()); x < Math.min(img.getWidth(), b.x() + b.width()); x++) {
                int p = img.getRGB(x, y);
                if (((p >> 16) & 0xff) < 90 && ((p >> 8) & 0xff) < 90 && (p & 0xff) < 90) {
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

    /** A synthetic run of {@code events} events over 40 lanes, with a broadcast to four vCPUs every 200 steps. */
    static final class BigTimeline {
        static Timeline of(int events) {
            List<String> lanes = new ArrayList<>(List.of("host/host0"));
            for (int v = 0; v < 4; v++) {
                lanes.add("vm/vm" + v);
                for (int i = 0; i < 4; i++) {
                    lanes.add("vcpu/vm" + v + "/" + i);
                }
                for (int i = 0; i < 5; i++) {
                    lanes.add("slot/vm" + v + "/" + i);
                }
            }
            List<Timeline.Column> columns = new ArrayList<>();
            List<Timeline.Mark> marks = new ArrayList<>();
            List<Timeline.Shootdown> broadcasts = new ArrayList<>();
            List<Timeline.Flagged> violations = new ArrayList<>();
            java.util.Random rnd = new java.util.Random(7);
            while (marks.size() < events) {
                int c = columns.size();
                int n = 0;
                if (c % 200 == 199 && events - marks.size() >= 6) {
                    int req = marks.size();
                    marks.add(new Timeline.Mark(req, c, 1, 0, n++, c, "RemoteTlbFlushRequested", "RemoteTlbFlushRequested[seq=" + c + "]"));
                    List<Integer> acks = new ArrayList<>();
                    for (int i = 0; i < 4; i++) {
                        acks.add(marks.size());
                        marks.add(new Timeline.Mark(marks.size(), c, 2 + i, 0, n++, c, "TlbFlushed", "TlbFlushed[seq=" + c + "]"));
                    }
                    marks.add(new Timeline.Mark(marks.size(), c, 1, 1, n++, c, "RemoteTlbFlushCompleted", "RemoteTlbFlushCompleted[]"));
                    broadcasts.add(new Timeline.Shootdown(req, c, 1, List.of(2, 3, 4, 5), "TlbFlushRequest", acks, marks.size() - 1));
                } else {
                    for (int k = rnd.nextInt(3); k >= 0 && marks.size() < events; k--) {
                        marks.add(new Timeline.Mark(marks.size(), c, rnd.nextInt(lanes.size()), 0, n++, c, "VmaMapped",
                                "VmaMapped[hva=" + Long.toHexString(rnd.nextLong()) + ", length=4096]"));
                    }
                }
                if (c % 5000 == 4999) {
                    violations.add(new Timeline.Flagged("stale-writable-tlb", lanes.get(marks.get(marks.size() - 1).lane()),
                            10 + c, marks.get(marks.size() - 1).lane(), c, List.of(marks.size() - 30, marks.size() - 1),
                            List.of("a", "b")));
                }
                columns.add(new Timeline.Column(10 + c, c % 2 == 0 ? "MMAP" : "KVM_RUN", "0", "1000", List.of(), List.of(), n));
            }
            return new Timeline("big", "big.trace", java.util.Map.of(), columns, lanes, marks, broadcasts, violations);
        }
    }
}
