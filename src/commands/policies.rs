//! `coprep policies`: what can be passed to --policy.

use coprep_policies::spec::POLICIES;

pub fn run() -> anyhow::Result<()> {
    let width = POLICIES.iter().map(|p| p.0.len()).max().unwrap_or(0);
    for (name, help) in POLICIES {
        println!("{name:<width$}  {help}");
    }
    println!("\nParameters go in brackets: min-makespan[cap=4], reestimate[base=min-idle[cap=2],alpha=0.3]");
    println!(
        "colocate: which tasks may share a processor. stream (lpt, min-makespan): a gang or a reader of a shared \
         stream only with its own stream; any (min-idle): anything that fits. See docs/model.md."
    );
    Ok(())
}
