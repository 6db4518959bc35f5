// The sample's server (test-image/samples/README.md): hello-rust NAME PORT. Standard library only
// (crates.io is out of reach here); signals through libc's signal(), which std links anyway.
// GET / -> "NAME PID", GET /exit/N -> exits N; INT/TERM/QUIT/HUP: "NAME got SIGxxx", exit 0.
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::OnceLock;

extern "C" {
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    fn _exit(status: i32) -> !;
}

static NAME: OnceLock<String> = OnceLock::new();

extern "C" fn on_signal(signum: i32) {
    let sig = match signum { 1 => "SIGHUP", 2 => "SIGINT", 3 => "SIGQUIT", _ => "SIGTERM" };
    let line = format!("{} got {}\n", NAME.get().map(String::as_str).unwrap_or("?"), sig);
    let _ = std::io::stdout().write_all(line.as_bytes());
    let _ = std::io::stdout().flush();
    unsafe { _exit(0) }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (name, port) = (args[1].clone(), args[2].clone());
    if std::env::var("CFM_FAIL_AT_START").unwrap_or_default().split(',').any(|n| n == name) {
        println!("{name} failing at start (CFM_FAIL_AT_START)");
        std::process::exit(3);
    }
    NAME.set(name.clone()).unwrap();
    for s in [1, 2, 3, 15] {
        unsafe { signal(s, on_signal) };
    }
    let listener = TcpListener::bind(format!("127.0.0.1:{port}")).expect("bind");
    println!("{name} listening on 127.0.0.1:{port} ({})", greet::greet("a path crate"));
    for stream in listener.incoming() {
        let mut stream = match stream { Ok(s) => s, Err(_) => continue };
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut request = String::new();
        let _ = reader.read_line(&mut request);
        loop {
            let mut l = String::new();
            if reader.read_line(&mut l).unwrap_or(0) == 0 || l == "\r\n" { break; }
        }
        let code = request.strip_prefix("GET /exit/").and_then(|r| r.split(' ').next()).and_then(|c| c.parse::<i32>().ok());
        let body = match code { Some(c) => format!("{name} exits {c}\n"), None => format!("{name} {}\n", std::process::id()) };
        let _ = write!(stream, "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        let _ = stream.flush();
        drop(stream);
        if let Some(c) = code {
            println!("{name} exiting with status {c} (GET /exit/{c})");
            std::process::exit(c);
        }
    }
}
