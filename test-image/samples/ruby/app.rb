# The sample's server (test-image/samples/README.md): bundle exec ruby app.rb NAME PORT.
# GET / -> "NAME PID", GET /exit/N -> exits N; INT/TERM: "NAME got SIGxxx", exit 0.
require "socket"
require "greeter"
$stdout.sync = true
name, port = ARGV[0], Integer(ARGV[1])
if (ENV["CFM_FAIL_AT_START"] || "").split(",").include?(name)
  puts "#{name} failing at start (CFM_FAIL_AT_START)"
  exit 3
end
%w[INT TERM QUIT HUP].each do |sig|
  Signal.trap(sig) do
    $stdout.write("#{name} got SIG#{sig}\n")
    exit!(0)
  end
end
server = TCPServer.new("127.0.0.1", port)
puts "#{name} listening on 127.0.0.1:#{port} (#{Greeter.greet("a path gem")})"
loop do
  client = server.accept
  line = client.gets.to_s
  nil while (l = client.gets) && l != "\r\n"
  code = line[%r{\AGET /exit/(\d+)}, 1]
  body = code ? "#{name} exits #{code}\n" : "#{name} #{Process.pid}\n"
  client.write("HTTP/1.1 200 OK\r\nContent-Length: #{body.bytesize}\r\nConnection: close\r\n\r\n#{body}")
  client.close
  if code
    puts "#{name} exiting with status #{code} (GET /exit/#{code})"
    exit!(Integer(code))
  end
end
