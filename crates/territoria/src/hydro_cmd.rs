//! `territoria hydro simulate|calibrate`: the GR4J/GR4H models of `territoria-hydro` on a
//! CSV series. Wiring only: the periods, checks, runs and scores are the engine's.
//!
//! `simulate` writes the run period's rows as CSV on standard output (`date,P,E,Qobs,Qsim,
//! production,routing`, stores in mm at the end of each step, an empty `Qobs` where the
//! observation is missing) and the scores on standard error (and as JSON with `--scores`).
//! `calibrate` writes the parameters found and their scores as JSON on standard output.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use territoria_hydro::calibrate::{self, Objective};
use territoria_hydro::{Gr4, Model, Params, Period, Plan, Scores, Series};

#[derive(Subcommand)]
pub enum HydroCommand {
    /// Run GR4J or GR4H with given parameters: the run period as CSV on stdout, the scores
    /// (NSE, KGE, RMSE, persistence index) on stderr.
    Simulate {
        #[command(flatten)]
        common: Common,
        /// The four parameters X1,X2,X3,X4 (mm, mm per step, mm, steps), e.g.
        /// 257.238,1.012,88.235,2.208
        #[arg(long, allow_hyphen_values = true)]
        params: String,
        /// Initial store levels as fractions of X1 and X3 (default airGR's 0.3,0.5)
        #[arg(long, default_value = "0.3,0.5")]
        initial_stores: String,
        /// Also write the scores and final states as JSON to this file
        #[arg(long)]
        scores: Option<PathBuf>,
    },
    /// Calibrate the four parameters on the run period's observed flows (DDS, seeded):
    /// the parameters and their scores as JSON on stdout.
    Calibrate {
        #[command(flatten)]
        common: Common,
        /// What to maximise
        #[arg(long, value_enum, default_value_t = ObjectiveArg::Kge)]
        objective: ObjectiveArg,
        /// Seed of the search (same seed, same result)
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// DDS iterations (model runs; a local polish adds up to half as many)
        #[arg(long, default_value_t = 2000)]
        iterations: usize,
    },
}

#[derive(Args)]
pub struct Common {
    /// gr4j (daily) or gr4h (hourly)
    #[arg(long, value_enum)]
    model: ModelArg,
    /// CSV with columns date (dd/mm/yyyy[ HH:MM] or yyyy-mm-dd[ HH:MM]), P, E and Qmm
    /// (observed flow, mm per step; optional for simulate); NA or empty = missing
    #[arg(long)]
    input: PathBuf,
    /// Warm-up period FROM..TO (simulated, not scored), e.g. 1989-01-01..1989-12-31
    #[arg(long)]
    warmup: Option<String>,
    /// Run period FROM..TO (simulated and scored); a date alone as TO includes the whole day
    #[arg(long)]
    run: String,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ModelArg {
    /// Daily GR4J (Perrin et al., 2003)
    Gr4j,
    /// Hourly GR4H
    Gr4h,
}

impl From<ModelArg> for Model {
    fn from(m: ModelArg) -> Model {
        match m {
            ModelArg::Gr4j => Model::Gr4j,
            ModelArg::Gr4h => Model::Gr4h,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ObjectiveArg {
    /// Kling–Gupta efficiency (2009)
    Kge,
    /// Nash–Sutcliffe efficiency
    Nse,
}

impl From<ObjectiveArg> for Objective {
    fn from(o: ObjectiveArg) -> Objective {
        match o {
            ObjectiveArg::Kge => Objective::Kge,
            ObjectiveArg::Nse => Objective::Nse,
        }
    }
}

pub fn run(cmd: HydroCommand) -> anyhow::Result<()> {
    match cmd {
        HydroCommand::Simulate {
            common,
            params,
            initial_stores,
            scores,
        } => simulate(&common, &params, &initial_stores, scores.as_deref()),
        HydroCommand::Calibrate {
            common,
            objective,
            seed,
            iterations,
        } => {
            let options = calibrate::Options {
                objective: objective.into(),
                seed,
                iterations,
                bounds: None,
            };
            calibrate(&common, &options)
        }
    }
}

fn load(common: &Common) -> anyhow::Result<(Series, Plan, Period)> {
    let model = Model::from(common.model);
    let warmup = common
        .warmup
        .as_deref()
        .map(Period::parse)
        .transpose()
        .context("--warmup")?;
    let run = Period::parse(&common.run).context("--run")?;
    let series = Series::from_path(&common.input)?;
    let plan = Plan::new(&series, model, warmup.as_ref(), &run)?;
    Ok((series, plan, run))
}

fn simulate(
    common: &Common,
    params: &str,
    initial_stores: &str,
    scores_file: Option<&Path>,
) -> anyhow::Result<()> {
    let params = Params::parse(params).context("--params")?;
    let model = Model::from(common.model);
    let gr4 = Gr4::new(model, params).context("--params")?;
    let fractions: Vec<f64> = initial_stores
        .split(',')
        .map(|f| f.trim().parse::<f64>())
        .collect::<Result<_, _>>()
        .ok()
        .filter(|v: &Vec<f64>| v.len() == 2 && v.iter().all(|x| (0.0..=1.0).contains(x)))
        .with_context(|| {
            format!(
                "--initial-stores `{initial_stores}`: two fractions between 0 and 1 \
                 (production store of X1, routing store of X3), e.g. 0.3,0.5"
            )
        })?;
    let (series, plan, run) = load(common)?;
    let initial = gr4.states_at(fractions[0], fractions[1]);
    let out = plan.simulate(&series, params, Some(initial))?;
    let sim = &out.simulation;

    let hourly = model == Model::Gr4h;
    let stdout = std::io::stdout();
    let mut w = BufWriter::new(stdout.lock());
    writeln!(w, "date,P,E,Qobs,Qsim,production,routing")?;
    for (k, i) in plan.simulated().enumerate().skip(plan.scored().start) {
        let t = series.times[i];
        let date = if hourly {
            t.format("%Y-%m-%d %H:%M")
        } else {
            t.format("%Y-%m-%d")
        };
        let qobs = match series.qobs.as_ref().map(|q| q[i]) {
            Some(q) if q.is_finite() => q.to_string(),
            _ => String::new(),
        };
        writeln!(
            w,
            "{date},{},{},{qobs},{},{},{}",
            series.p[i], series.e[i], sim.q[k], sim.production[k], sim.routing[k]
        )?;
    }
    w.flush()?;
    drop(w);

    let end = &sim.final_states;
    match &out.scores {
        Some(s) => eprintln!(
            "{} {} run {run}: {} steps, {} observed: {}",
            model.name().to_uppercase(),
            series.source,
            plan.run.len(),
            s.n,
            scores_line(s)
        ),
        None => eprintln!(
            "{} {}: no Qmm column, no scores",
            model.name().to_uppercase(),
            series.source
        ),
    }
    eprintln!(
        "final stores: production {:.6} mm ({:.6}·X1), routing {:.6} mm ({:.6}·X3)",
        end.production,
        end.production / params.x1,
        end.routing,
        end.routing / params.x3
    );
    if let Some(path) = scores_file {
        let doc = json!({
            "model": model.name(),
            "input": series.source,
            "params": params_json(params),
            "warmup": common.warmup,
            "run": run.to_string(),
            "steps": plan.run.len(),
            "scores": out.scores.as_ref().map(scores_json),
            "final_states": {
                "production": end.production,
                "routing": end.routing,
                "production_fraction": end.production / params.x1,
                "routing_fraction": end.routing / params.x3,
            },
        });
        std::fs::write(path, serde_json::to_string_pretty(&doc)? + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

fn calibrate(common: &Common, options: &calibrate::Options) -> anyhow::Result<()> {
    let model = Model::from(common.model);
    let (series, plan, run) = load(common)?;
    let found = plan.calibrate(&series, options)?;
    let scores = plan
        .simulate(&series, found.params, None)?
        .scores
        .context("no observed flows")?;
    let doc = json!({
        "model": model.name(),
        "input": series.source,
        "objective": options.objective.name(),
        "seed": options.seed,
        "iterations": options.iterations,
        "evaluations": found.evaluations,
        "warmup": common.warmup,
        "run": run.to_string(),
        "params": params_json(found.params),
        "params_text": found.params.to_string(),
        "scores": scores_json(&scores),
    });
    println!("{}", serde_json::to_string_pretty(&doc)?);
    eprintln!(
        "{} calibrated on {} ({} {}, {} evaluations): --params {}  {}",
        model.name().to_uppercase(),
        series.source,
        options.objective.name(),
        fmt(found.score),
        found.evaluations,
        found.params,
        scores_line(&scores)
    );
    Ok(())
}

fn fmt(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.4}")
    } else {
        "undefined".into()
    }
}

fn scores_line(s: &Scores) -> String {
    format!(
        "NSE {} KGE {} RMSE {} persistence {}",
        fmt(s.nse),
        fmt(s.kge),
        if s.rmse.is_finite() {
            format!("{:.7}", s.rmse)
        } else {
            "undefined".into()
        },
        fmt(s.persistence)
    )
}

/// Scores as JSON; an undefined score (NaN) is `null`.
fn scores_json(s: &Scores) -> serde_json::Value {
    let v = |x: f64| if x.is_finite() { json!(x) } else { json!(null) };
    json!({
        "nse": v(s.nse),
        "kge": v(s.kge),
        "rmse": v(s.rmse),
        "persistence": v(s.persistence),
        "observed_steps": s.n,
    })
}

fn params_json(p: Params) -> serde_json::Value {
    json!({ "X1": p.x1, "X2": p.x2, "X3": p.x3, "X4": p.x4 })
}
