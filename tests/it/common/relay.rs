//! A TCP relay that stands between Hutong and the PostgreSQL test server.

/// A TCP relay to the PostgreSQL test server that can cut every connection and refuse new
/// ones: to Hutong, PostgreSQL is down (the shared server itself is never touched).
pub struct Relay {
    addr: std::net::SocketAddr,
    down: std::sync::Arc<std::sync::atomic::AtomicBool>,
    links: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Relay {
    /// Relays to the server of the database `url`.
    pub async fn to(url: &str) -> Relay {
        use std::sync::atomic::Ordering;
        let direct = url::Url::parse(url).unwrap();
        let upstream = tokio::net::lookup_host(format!(
            "{}:{}",
            direct.host_str().unwrap(),
            direct.port().unwrap_or(5432)
        ))
        .await
        .unwrap()
        .next()
        .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let down = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let links = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let accept = {
            let (down, links) = (down.clone(), links.clone());
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    if down.load(Ordering::SeqCst) {
                        continue;
                    }
                    let link = tokio::spawn(async move {
                        if let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await {
                            let _ =
                                tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    links.lock().unwrap().push(link);
                }
            })
        };
        Relay {
            addr,
            down,
            links,
            accept,
        }
    }

    /// `url` with its host and port turned to the relay's.
    pub fn url(&self, url: &str) -> String {
        let mut through = url::Url::parse(url).unwrap();
        through.set_host(Some("127.0.0.1")).unwrap();
        through.set_port(Some(self.addr.port())).unwrap();
        through.to_string()
    }

    /// Drops every connection and refuses new ones.
    pub fn cut(&self) {
        self.down.store(true, std::sync::atomic::Ordering::SeqCst);
        for link in self.links.lock().unwrap().drain(..) {
            link.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.down.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}
