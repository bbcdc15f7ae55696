package cn.paymux;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A scripted HTTP/1.1 server on a raw socket, so that a test controls every byte: each request
 * is recorded (with the index of the connection it came on) and answered by the next scripted
 * reply, which may also be "close the kept-alive connection without answering".
 */
final class FakeServer implements AutoCloseable {
  /** One request as it arrived. */
  record Received(int connection, String method, String target, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }

    /** A pair of the Authorization header, e.g. nonce. */
    String authorizationPair(String name) {
      String value = header("Authorization");
      int at = value.indexOf(name + "=\"");
      return value.substring(at + name.length() + 2, value.indexOf('"', at + name.length() + 2));
    }
  }

  /** A scripted reply: an answer, or a close without one. */
  record Reply(int status, Map<String, String> headers, String body, boolean close) {
    static Reply json(int status, String body) {
      return new Reply(status, Map.of(), body, false);
    }

    static Reply json(int status, String body, Map<String, String> headers) {
      return new Reply(status, headers, body, false);
    }

    static Reply closeWithoutAnswer() {
      return new Reply(0, Map.of(), "", true);
    }
  }

  private final ServerSocket socket;
  private final Deque<Reply> script = new ArrayDeque<>();
  private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
  private final List<Socket> open = Collections.synchronizedList(new ArrayList<>());
  private int connections;

  FakeServer(Reply... replies) throws IOException {
    script.addAll(List.of(replies));
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::accept, "fake-paymux");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String url() {
    return "http://127.0.0.1:" + socket.getLocalPort();
  }

  List<Received> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  private void accept() {
    while (!socket.isClosed()) {
      try {
        Socket connection = socket.accept();
        open.add(connection);
        int index;
        synchronized (this) {
          index = ++connections;
        }
        Thread reader = new Thread(() -> serve(connection, index), "fake-paymux-" + index);
        reader.setDaemon(true);
        reader.start();
      } catch (IOException exc) {
        return; // closed
      }
    }
  }

  private void serve(Socket connection, int index) {
    try (connection) {
      InputStream in = connection.getInputStream();
      OutputStream out = connection.getOutputStream();
      while (true) {
        Received request = read(in, index);
        if (request == null) {
          return;
        }
        received.add(request);
        Reply reply;
        synchronized (script) {
          reply = script.isEmpty() ? Reply.json(500, "{\"error\":{\"code\":\"unscripted\",\"message\":\"no reply\"}}") : script.poll();
        }
        if (reply.close()) {
          return; // closes the socket: not one byte of an answer
        }
        write(out, reply);
      }
    } catch (IOException exc) {
      // the client went away
    }
  }

  private static Received read(InputStream in, int index) throws IOException {
    String requestLine = line(in);
    if (requestLine == null || requestLine.isEmpty()) {
      return null;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String header = line(in); header != null && !header.isEmpty(); header = line(in)) {
      int colon = header.indexOf(':');
      headers.put(header.substring(0, colon).strip().toLowerCase(Locale.ROOT), header.substring(colon + 1).strip());
    }
    int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
    byte[] body = in.readNBytes(length);
    String[] parts = requestLine.split(" ");
    return new Received(index, parts[0], parts[1], headers, body);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    for (int b = in.read(); b != -1; b = in.read()) {
      if (b == '\n') {
        String text = bytes.toString(StandardCharsets.ISO_8859_1);
        return text.endsWith("\r") ? text.substring(0, text.length() - 1) : text;
      }
      bytes.write(b);
    }
    return null;
  }

  private static void write(OutputStream out, Reply reply) throws IOException {
    byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
    StringBuilder head = new StringBuilder("HTTP/1.1 " + reply.status() + " X\r\n");
    head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
    reply.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
    head.append("\r\n");
    out.write(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    out.write(body);
    out.flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
    synchronized (open) {
      for (Socket s : open) {
        s.close();
      }
    }
  }
}
