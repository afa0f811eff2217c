"""Knowledge-constrained sparse autoencoders (DeepMetabolism, rebuilt).

Gene → protein → phenotype layers wired from a genome-scale metabolic model: unsupervised
pretraining on a transcriptome compendium, supervised fine-tuning on phenotypes.
"""

from omicsnet.families import FamilySpec

SPEC = FamilySpec(
    models=("omicsnet.kcae.model", "omicsnet.kcae.guided"),
    commands="omicsnet.kcae.cli",
    command_groups={"kcae": "knowledge-constrained autoencoders (DeepMetabolism)"},
    demo="omicsnet.kcae.demo:demo_kcae",
)
