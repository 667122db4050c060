"""The model registry: one entry per model of the twin, which train, crosscheck, check_export and
perf_worker look a model up in instead of naming the models themselves.

To add a model, write its module and add one line here. The module defines MODEL (its contract
name), TERMS (the training branch's scalar terms, the loss first), TRAINING_OUTPUTS (the outputs
the cross-check records), TINY (the golden fixtures' config overrides), a config class with
`mnist(seed)`, `from_json` and `to_json`, and a model class whose `model_name` is MODEL. The line
names the model's training class (in phases.py or vade_training.py) and its cross-check reference
in crosscheck.py (those modules import this one, so it names them rather than importing them).
The name also belongs in contract.MODELS, the SavedModel contract's list (Java's Contract mirrors
it).
"""

import dataclasses

from . import export as E
from . import gmvae_gumbel, kdvae, vab, vade, vc


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What the callers need of one model."""

    name: str  # the contract's model name (the module's MODEL)
    config: type  # the config class: `mnist(seed)`, `from_json(j)`, `to_json()`
    model: type  # the model class, built from a config
    terms: tuple  # the main phase's terms the trainer logs, the loss first (the module's TERMS)
    training_outputs: tuple  # out__<name> of the cross-check (the module's TRAINING_OUTPUTS)
    tiny: dict  # config overrides of `crosscheck make --tiny` (the module's TINY)
    # phases.py / vade_training.py: the training class's name, and the attribute of its object
    # holding the compiled step of the last phase (perf_worker times it and counts its FLOPs).
    training: str
    main_step: str
    # crosscheck.py: the reference function's name, and the function giving the manifest's extra
    # keys from the config (Java's side reads them), if any.
    reference: str
    manifest_extras: str = None
    # Variables whose init__ the reference sets itself, not the seed's draw (the manifest's
    # init_not_from_seed).
    init_not_from_seed: tuple = ()
    # The config field of the autoencoder pretraining recipe whose epochs --pretrain-epochs sets.
    pretraining: str = None
    # Whether check_export recomputes the export's outputs with the twin on its weights.
    check_export_reference: bool = False

    def default_config(self, seed):
        """The model's MNIST config (the twin's only dataset) for `seed`."""
        return self.config.mnist(seed)

    @property
    def signatures(self):
        """The optional contract signatures its export carries, which check_export requires."""
        return E.optional_signatures(self.model)

    @property
    def prior_has_stddev(self):
        """Whether its `prior` (and `prior_mix`) give `stddev` besides `mean` (VAB's: no)."""
        return getattr(self.model, "prior_has_stddev", True)


def _of(module, config, model, **fields):
    """The spec of `module`'s model: its MODEL, TERMS, TRAINING_OUTPUTS and TINY, and `fields`."""
    return ModelSpec(module.MODEL, config, model, module.TERMS, module.TRAINING_OUTPUTS,
                     module.TINY, **fields)


# In contract.MODELS's order.
REGISTRY = {s.name: s for s in (
    _of(vade, vade.VadeConfig, vade.Vade, training="VadeTraining", main_step="_joint_step",
        reference="reference_vade", init_not_from_seed=vade.PRIOR, pretraining="pretraining",
        manifest_extras="aug_manifest_extras"),
    _of(gmvae_gumbel, gmvae_gumbel.GmvaeGumbelConfig, gmvae_gumbel.GmvaeGumbel,
        training="GmvaeGumbelTraining", main_step="_train_step", reference="reference_gmvae_gumbel",
        manifest_extras="aug_manifest_extras", check_export_reference=True),
    _of(vc, vc.VcConfig, vc.Vc, training="VcTraining", main_step="_train_step",
        reference="reference_vc", manifest_extras="vc_manifest_extras",
        check_export_reference=True),
    _of(kdvae, kdvae.KdvaeConfig, kdvae.Kdvae, training="KdvaeTraining", main_step="_joint_step",
        reference="reference_kdvae", pretraining="init_vade_pretraining",
        manifest_extras="aug_manifest_extras"),
    _of(vab, vab.VabConfig, vab.Vab, training="VabTraining", main_step="_train_step",
        reference="reference_vab", manifest_extras="aug_manifest_extras",
        check_export_reference=True),
)}


def spec(name):
    """The spec of model `name`; a ValueError naming it and the known models if there is none."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model '{name}': one of {list(REGISTRY)}")
    return REGISTRY[name]
