//! The platform simulator (stub until the real one lands).
use std::net::SocketAddr;
#[derive(Clone)]
pub struct Simulator;
pub struct RunningSimulator {
    pub addr: SocketAddr,
}
impl RunningSimulator {
    pub async fn shutdown(self) {}
}
pub enum Timetable {
    Fixed,
    Rotating { period: std::time::Duration },
}
impl Simulator {
    pub fn new(_timetable: Timetable) -> Simulator {
        Simulator
    }
    pub fn router(&self) -> axum::Router {
        axum::Router::new()
    }
    pub async fn start(&self, _addr: SocketAddr) -> std::io::Result<RunningSimulator> {
        todo!()
    }
    pub fn requests_served(&self) -> u64 {
        0
    }
}
