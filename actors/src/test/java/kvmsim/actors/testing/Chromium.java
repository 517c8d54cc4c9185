package kvmsim.actors.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;

/**
 * A headless chromium driven over the DevTools protocol (a WebSocket, with the JDK's own client):
 * open a page at a viewport size, evaluate script in it, click, screenshot. It records what a
 * page must not do: throw, log an error to the console, or request any URL but its own.
 */
public final class Chromium implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final WebSocket socket;
    private final AtomicLong ids = new AtomicLong();
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final List<String> errors = new CopyOnWriteArrayList<>();
    private final List<String> requests = new CopyOnWriteArrayList<>();

    /** The browser on PATH, or null. */
    public static String find() {
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

    /** Starts the browser with a fresh profile in {@code dir} and attaches to its page. */
    public static Chromium start(String executable, Path dir) throws Exception {
        Path profile = Files.createTempDirectory(dir, "profile");
        Process p = new ProcessBuilder(executable, "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--remote-debugging-port=0", "--user-data-dir=" + profile, "about:blank")
                .redirectErrorStream(true).redirectOutput(dir.resolve("chromium-" + profile.getFileName() + ".log").toFile())
                .start();
        try {
            return new Chromium(p, pageSocket(port(p, profile.resolve("DevToolsActivePort"))));
        } catch (Exception | AssertionError e) {
            p.destroyForcibly();
            throw e;
        }
    }

    private static int port(Process p, Path file) throws Exception {
        for (int i = 0; i < 600; i++) {
            if (Files.exists(file)) {
                List<String> lines = Files.readAllLines(file);
                if (!lines.isEmpty() && !lines.get(0).isBlank()) {
                    return Integer.parseInt(lines.get(0).trim());
                }
            }
            if (!p.isAlive()) {
                throw new AssertionError("chromium exited with " + p.exitValue() + " before it listened");
            }
            Thread.sleep(100);
        }
        throw new AssertionError("chromium did not open its DevTools port within 60 s");
    }

    private static String pageSocket(int port) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < 100; i++) {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            for (JsonNode t : JSON.readTree(body)) {
                if (t.path("type").asText().equals("page")) {
                    return t.get("webSocketDebuggerUrl").asText();
                }
            }
            Thread.sleep(100);
        }
        throw new AssertionError("chromium has no page to attach to");
    }

    private Chromium(Process process, String url) throws Exception {
        this.process = process;
        this.socket = HttpClient.newHttpClient().newWebSocketBuilder()
                .buildAsync(URI.create(url), new Listener()).get(30, TimeUnit.SECONDS);
        send("Runtime.enable", null);
        send("Log.enable", null);
        send("Network.enable", null);
        send("Page.enable", null);
    }

    /** Reassembles fragmented messages; answers go to their caller, events are recorded. */
    private final class Listener implements WebSocket.Listener {
        private final StringBuilder text = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            text.append(data);
            if (last) {
                String message = text.toString();
                text.setLength(0);
                try {
                    receive(JSON.readTree(message));
                } catch (IOException e) {
                    errors.add("unreadable DevTools message: " + e.getMessage());
                }
            }
            ws.request(1);
            return null;
        }
    }

    private void receive(JsonNode m) {
        if (m.has("id")) {
            CompletableFuture<JsonNode> f = pending.remove(m.get("id").asLong());
            if (f != null) {
                f.complete(m);
            }
            return;
        }
        JsonNode p = m.path("params");
        switch (m.path("method").asText()) {
            case "Runtime.exceptionThrown" -> errors.add("exception: " + p.path("exceptionDetails"));
            case "Runtime.consoleAPICalled" -> {
                if (p.path("type").asText().matches("error|assert")) {
                    errors.add("console." + p.path("type").asText() + ": " + p.path("args"));
                }
            }
            case "Log.entryAdded" -> {
                if (p.path("entry").path("level").asText().equals("error")) {
                    errors.add("log: " + p.path("entry").path("text").asText());
                }
            }
            case "Network.requestWillBeSent" -> requests.add(p.path("request").path("url").asText());
            default -> {
            }
        }
    }

    /** Sends a command and waits for its result; a protocol error fails. */
    public JsonNode send(String method, ObjectNode params) throws Exception {
        long id = ids.incrementAndGet();
        ObjectNode msg = JSON.createObjectNode().put("id", id).put("method", method);
        msg.set("params", params == null ? JSON.createObjectNode() : params);
        CompletableFuture<JsonNode> answer = new CompletableFuture<>();
        pending.put(id, answer);
        socket.sendText(msg.toString(), true).get(30, TimeUnit.SECONDS);
        JsonNode r = answer.get(120, TimeUnit.SECONDS);
        if (r.has("error")) {
            throw new AssertionError(method + ": " + r.get("error"));
        }
        return r.get("result");
    }

    public static ObjectNode params() {
        return JSON.createObjectNode();
    }

    /**
     * Opens {@code page} in a {@code width} x {@code height} viewport and waits until its script has
     * set {@code document.body.dataset.rendered}; returns the milliseconds that took.
     */
    public long open(Path page, int width, int height) throws Exception {
        send("Emulation.setDeviceMetricsOverride", params().put("width", width).put("height", height)
                .put("deviceScaleFactor", 1).put("mobile", false));
        long start = System.nanoTime();
        send("Page.navigate", params().put("url", page.toUri().toString()));
        for (int i = 0; i < 1200; i++) {
            JsonNode done = eval("document.readyState === 'complete' && document.body && document.body.dataset.rendered != null");
            if (done.asBoolean()) {
                return (System.nanoTime() - start) / 1_000_000;
            }
            Thread.sleep(50);
        }
        throw new AssertionError(page + " did not finish rendering within 60 s; errors: " + errors);
    }

    /** The value of a script expression (JSON-able); a thrown exception fails. */
    public JsonNode eval(String expression) throws Exception {
        JsonNode r = send("Runtime.evaluate", params().put("expression", expression).put("returnByValue", true)
                .put("awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new AssertionError(expression + " threw " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /** Waits for two animation frames, so what the page scheduled has been drawn. */
    public void settle() throws Exception {
        eval("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))");
    }

    /** A real mouse click (pressed and released) at a point of the viewport. */
    public void click(double x, double y) throws Exception {
        for (String type : List.of("mousePressed", "mouseReleased")) {
            send("Input.dispatchMouseEvent", params().put("type", type).put("x", x).put("y", y).put("button", "left")
                    .put("clickCount", 1));
        }
    }

    /** A real wheel turn at a point, with modifiers (2 = ctrl). */
    public void wheel(double x, double y, double deltaY, int modifiers) throws Exception {
        send("Input.dispatchMouseEvent", params().put("type", "mouseWheel").put("x", x).put("y", y).put("deltaX", 0)
                .put("deltaY", deltaY).put("modifiers", modifiers));
    }

    /** A key typed with nothing focused but the page. */
    public void key(String key) throws Exception {
        for (String type : List.of("keyDown", "keyUp")) {
            send("Input.dispatchKeyEvent", params().put("type", type).put("key", key).put("text", key));
        }
    }

    public BufferedImage screenshot(Path png) throws Exception {
        settle();
        byte[] bytes = Base64.getDecoder().decode(send("Page.captureScreenshot", params().put("format", "png"))
                .get("data").asText());
        Files.write(png, bytes);
        return ImageIO.read(new ByteArrayInputStream(bytes));
    }

    /** Exceptions and console or log errors seen so far. */
    public List<String> errors() {
        return new ArrayList<>(errors);
    }

    /** Every URL the pages asked for. */
    public List<String> requests() {
        return new ArrayList<>(requests);
    }

    @Override
    public void close() throws Exception {
        // asks the browser to quit (it may close the socket before it answers), then makes sure
        socket.sendText("{\"id\":" + ids.incrementAndGet() + ",\"method\":\"Browser.close\"}", true);
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        socket.abort();
    }
}
