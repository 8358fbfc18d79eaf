//! A permanent-magnet DC motor with sensor and actuator faults.
//!
//! Armature: `L di/dt = V − R i − K ω`; mechanics: `J dω/dt = K i − b ω − T_load`, integrated with
//! classical RK4 at a fixed step (defaults R = 1 Ω, L = 0.5 H, K = 0.01 V·s/rad = N·m/A,
//! J = 0.01 kg·m², b = 0.1 N·m·s). At constant voltage the steady state is
//! `ω = (K V − R T_load) / (R b + K²)`, `i = (b V + K T_load) / (R b + K²)`.
//! The voltage follows seeded steps (every `step_every` seconds, uniform in `volts`) with a slow
//! ramp; measurements add Gaussian noise. Faults start at `fault_start` seconds:
//! a load-torque step (N·m), a friction increase (b → b·(1 + size)), a speed-sensor drift (a bias
//! growing at `size` rad/s per second), a stuck speed sensor (frozen at its value at onset), a
//! current-sensor bias (`size` A) and a current-sensor gain error (× (1 + size)).

use rand::{rngs::StdRng, Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde::Serialize;

use crate::{Error, Result};

/// The fault injected in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MotorFault {
    /// No fault.
    None,
    /// Load-torque step of `size` N·m.
    Load,
    /// Viscous friction multiplied by 1 + size.
    Friction,
    /// Speed-sensor bias growing at `size` rad/s per second.
    SpeedDrift,
    /// Speed sensor frozen at its reading at onset.
    SpeedStuck,
    /// Current-sensor bias of `size` A.
    CurrentBias,
    /// Current-sensor gain error: reading × (1 + size).
    CurrentGain,
}

impl MotorFault {
    /// Every fault type, `None` first.
    pub const ALL: [MotorFault; 7] = [
        MotorFault::None,
        MotorFault::Load,
        MotorFault::Friction,
        MotorFault::SpeedDrift,
        MotorFault::SpeedStuck,
        MotorFault::CurrentBias,
        MotorFault::CurrentGain,
    ];

    /// The name a user types (`none`, `load`, `speed-drift`, …).
    pub fn name(self) -> &'static str {
        match self {
            MotorFault::None => "none",
            f => f.label(),
        }
    }

    /// The fault named `s` (see [`MotorFault::name`]).
    pub fn parse(s: &str) -> Option<MotorFault> {
        MotorFault::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The label written in the `fault` column after onset.
    pub fn label(self) -> &'static str {
        match self {
            MotorFault::None => "normal",
            MotorFault::Load => "load",
            MotorFault::Friction => "friction",
            MotorFault::SpeedDrift => "speed-drift",
            MotorFault::SpeedStuck => "speed-stuck",
            MotorFault::CurrentBias => "current-bias",
            MotorFault::CurrentGain => "current-gain",
        }
    }
}

/// Simulation settings.
#[derive(Debug, Clone)]
pub struct MotorParams {
    pub r: f64,
    pub l: f64,
    pub k: f64,
    pub j: f64,
    pub b: f64,
    /// Seconds simulated.
    pub duration: f64,
    /// Integration step (s).
    pub dt: f64,
    /// Output sample period (s), a multiple of `dt`.
    pub sample: f64,
    /// Voltage range of the steps (V).
    pub volts: (f64, f64),
    /// Seconds between voltage steps.
    pub step_every: f64,
    /// Measurement noise standard deviations (speed rad/s, current A).
    pub noise: (f64, f64),
    pub fault: MotorFault,
    pub fault_start: f64,
    pub fault_size: f64,
    pub seed: u64,
    /// Start from rest (i = ω = 0, a start-up transient) instead of the steady state of the
    /// first voltage (a motor already running when monitoring begins).
    pub from_rest: bool,
}

impl Default for MotorParams {
    fn default() -> Self {
        MotorParams {
            r: 1.0,
            l: 0.5,
            k: 0.01,
            j: 0.01,
            b: 0.1,
            duration: 60.0,
            dt: 0.001,
            sample: 0.01,
            volts: (6.0, 12.0),
            step_every: 5.0,
            noise: (0.002, 0.02),
            fault: MotorFault::None,
            fault_start: 30.0,
            fault_size: 0.0,
            seed: 0,
            from_rest: false,
        }
    }
}

/// One output sample.
#[derive(Debug, Clone, Serialize)]
pub struct MotorSample {
    pub time: f64,
    pub voltage: f64,
    pub speed: f64,
    pub current: f64,
    pub fault: &'static str,
}

/// Writes a run as CSV `time,voltage,speed,current,fault`, atomically.
pub fn write_csv(path: &std::path::Path, run: &[MotorSample]) -> Result<()> {
    crate::data::write_atomic_with(path, |w| {
        let mut out = csv::Writer::from_writer(w);
        out.write_record(["time", "voltage", "speed", "current", "fault"]).map_err(crate::data::csv_io)?;
        for s in run {
            out.write_record([
                s.time.to_string(),
                s.voltage.to_string(),
                s.speed.to_string(),
                s.current.to_string(),
                s.fault.to_string(),
            ])
            .map_err(crate::data::csv_io)?;
        }
        out.flush()
    })
}

/// dt·|λ| allowed for RK4 (its real-axis stability limit is 2.785; kept below it).
const RK4_LIMIT: f64 = 2.5;
/// The most integration steps one simulation may take.
pub const MAX_STEPS: usize = 1_000_000_000;
/// The most rows one simulation may write.
pub const MAX_ROWS: usize = 50_000_000;

/// The largest |eigenvalue| of the motor's linear dynamics (1/s).
fn fastest_rate(r: f64, l: f64, k: f64, j: f64, b: f64) -> f64 {
    let tr = -(r / l + b / j);
    let det = (r * b + k * k) / (l * j);
    let disc = tr * tr / 4.0 - det;
    if disc >= 0.0 {
        tr.abs() / 2.0 + disc.sqrt()
    } else {
        det.sqrt()
    }
}

/// Simulates a run. Refuses a step too long for RK4 to stay stable, a run too long to hold,
/// and a run whose state becomes non-finite.
pub fn simulate(p: &MotorParams) -> Result<Vec<MotorSample>> {
    for (name, v) in [("R", p.r), ("L", p.l), ("K", p.k), ("J", p.j), ("dt", p.dt), ("duration", p.duration)] {
        if !(v > 0.0 && v.is_finite()) {
            return Err(Error::invalid("motor parameter", format!("{name} = {v} must be positive")));
        }
    }
    if !(p.b >= 0.0) || !(p.sample >= p.dt) || !(p.step_every > 0.0) || !(p.volts.1 >= p.volts.0) {
        return Err(Error::invalid(
            "motor parameter",
            "b ≥ 0, sample ≥ dt, step_every > 0 and a voltage range low ≤ high",
        ));
    }
    if !(p.noise.0 >= 0.0 && p.noise.1 >= 0.0) {
        return Err(Error::invalid("noise", "standard deviations must be ≥ 0"));
    }
    // RK4 is stable while dt·|λ| stays inside its stability region (about 2.78 on the real
    // axis): λ are the eigenvalues of the linear system [[−R/L, −K/L], [K/J, −b/J]].
    let b_max = if p.fault == MotorFault::Friction { p.b * (1.0 + p.fault_size.max(0.0)) } else { p.b };
    let lambda = fastest_rate(p.r, p.l, p.k, p.j, b_max);
    if !(p.dt * lambda <= RK4_LIMIT) {
        return Err(Error::invalid(
            "dt",
            format!(
                "{} s is too long for this motor's fastest time constant {:.3e} s (RK4 would blow up); use --dt ≤ {:.3e}",
                p.dt,
                1.0 / lambda,
                RK4_LIMIT / lambda
            ),
        ));
    }
    let n_steps = p.duration / p.dt;
    let n_rows = p.duration / p.sample;
    if !(n_steps <= MAX_STEPS as f64 && n_rows <= MAX_ROWS as f64) {
        return Err(Error::invalid(
            "duration",
            format!(
                "{} s at dt {} s is {n_steps:.3e} steps and {n_rows:.3e} rows (limits {MAX_STEPS} steps, {MAX_ROWS} rows)",
                p.duration, p.dt
            ),
        ));
    }
    let mut rng = StdRng::seed_from_u64(p.seed);
    let per_sample = (p.sample / p.dt).round().max(1.0) as usize;
    let n_steps = n_steps.round() as usize;
    let (speed_noise, current_noise) =
        (Normal::new(0.0, p.noise.0).expect("σ ≥ 0"), Normal::new(0.0, p.noise.1).expect("σ ≥ 0"));
    let mut level = rng.random_range(p.volts.0..=p.volts.1);
    let mut next_step = p.step_every;
    let den = p.r * p.b + p.k * p.k;
    let (mut i, mut w) = if p.from_rest { (0.0f64, 0.0f64) } else { (p.b * level / den, p.k * level / den) };
    let mut stuck: Option<f64> = None;
    let mut out = Vec::with_capacity(n_steps / per_sample + 1);
    for step in 0..=n_steps {
        let t = step as f64 * p.dt;
        if t >= next_step {
            level = rng.random_range(p.volts.0..=p.volts.1);
            next_step += p.step_every;
        }
        let v = level * (1.0 + 0.02 * (t / p.duration));
        let faulty = p.fault != MotorFault::None && t >= p.fault_start;
        if step % per_sample == 0 {
            if !(i.is_finite() && w.is_finite()) {
                return Err(Error::invalid(
                    "motor parameters",
                    format!("the simulation became non-finite at t = {t} s"),
                ));
            }
            let mut speed = w + speed_noise.sample(&mut rng);
            let mut current = i + current_noise.sample(&mut rng);
            if faulty {
                match p.fault {
                    MotorFault::SpeedDrift => speed += p.fault_size * (t - p.fault_start),
                    MotorFault::SpeedStuck => speed = *stuck.get_or_insert(speed),
                    MotorFault::CurrentBias => current += p.fault_size,
                    MotorFault::CurrentGain => current *= 1.0 + p.fault_size,
                    _ => {}
                }
            }
            out.push(MotorSample {
                time: t,
                voltage: v,
                speed,
                current,
                fault: if faulty { p.fault.label() } else { "normal" },
            });
        }
        let load = if faulty && p.fault == MotorFault::Load { p.fault_size } else { 0.0 };
        let b = if faulty && p.fault == MotorFault::Friction { p.b * (1.0 + p.fault_size) } else { p.b };
        let f = |i: f64, w: f64| ((v - p.r * i - p.k * w) / p.l, (p.k * i - b * w - load) / p.j);
        let k1 = f(i, w);
        let k2 = f(i + 0.5 * p.dt * k1.0, w + 0.5 * p.dt * k1.1);
        let k3 = f(i + 0.5 * p.dt * k2.0, w + 0.5 * p.dt * k2.1);
        let k4 = f(i + p.dt * k3.0, w + p.dt * k3.1);
        i += p.dt / 6.0 * (k1.0 + 2.0 * k2.0 + 2.0 * k3.0 + k4.0);
        w += p.dt / 6.0 * (k1.1 + 2.0 * k2.1 + 2.0 * k3.1 + k4.1);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quiet(fault: MotorFault, size: f64) -> MotorParams {
        // 10 V steps (a degenerate range: only the slow 2% ramp moves the voltage), no noise.
        MotorParams {
            volts: (10.0, 10.0),
            noise: (0.0, 0.0),
            fault,
            fault_size: size,
            duration: 20.0,
            fault_start: 10.0,
            ..Default::default()
        }
    }

    #[test]
    fn steady_state_matches_the_closed_form() {
        let p = quiet(MotorFault::None, 0.0);
        let run = simulate(&p).unwrap();
        let last = run.last().unwrap();
        let v = last.voltage;
        let den = p.r * p.b + p.k * p.k;
        // The voltage ramps slowly (2% over the run), so compare with the current voltage; the
        // lag of a 0.5 s time constant behind a 0.01 V/s ramp is below 1e-3 relative.
        assert!((last.speed - p.k * v / den).abs() < 1e-3 * p.k * v / den, "{} vs {}", last.speed, p.k * v / den);
        assert!((last.current - p.b * v / den).abs() < 1e-3 * p.b * v / den);
    }

    #[test]
    fn a_load_step_moves_the_steady_state_as_physics_says() {
        let (normal, loaded) =
            (simulate(&quiet(MotorFault::None, 0.0)).unwrap(), simulate(&quiet(MotorFault::Load, 0.005)).unwrap());
        let p = quiet(MotorFault::Load, 0.005);
        let den = p.r * p.b + p.k * p.k;
        let (a, b) = (normal.last().unwrap(), loaded.last().unwrap());
        assert!(((b.speed - a.speed) - (-p.r * 0.005 / den)).abs() < 1e-6, "Δω {}", b.speed - a.speed);
        assert!(((b.current - a.current) - (p.k * 0.005 / den)).abs() < 1e-6, "Δi {}", b.current - a.current);
        assert_eq!(b.fault, "load");
        assert_eq!(loaded[0].fault, "normal");
    }

    #[test]
    fn sensor_faults_change_readings_not_physics() {
        let base = simulate(&quiet(MotorFault::None, 0.0)).unwrap();
        let bias = simulate(&quiet(MotorFault::CurrentBias, 0.5)).unwrap();
        let drift = simulate(&quiet(MotorFault::SpeedDrift, 0.01)).unwrap();
        let stuck = simulate(&quiet(MotorFault::SpeedStuck, 0.0)).unwrap();
        let (a, n) = (base.last().unwrap(), base.len());
        assert!((bias[n - 1].current - a.current - 0.5).abs() < 1e-9 && (bias[n - 1].speed - a.speed).abs() < 1e-12);
        assert!((drift[n - 1].speed - a.speed - 0.01 * (a.time - 10.0)).abs() < 1e-9);
        let onset = stuck.iter().position(|s| s.fault == "speed-stuck").unwrap();
        assert!(stuck[onset..].iter().all(|s| s.speed == stuck[onset].speed));
        assert!(simulate(&MotorParams { dt: 0.0, ..Default::default() }).is_err());
    }
}
