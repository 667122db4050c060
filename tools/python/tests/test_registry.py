"""The model registry (deepclust_ref.registry): the contract's models in its order, each entry's
config, model, trainer and reference; and that no other module lists the models or types a model's
loss-term names (a new model is its module plus one registry line)."""

import ast
import dataclasses
import os
import sys
import unittest

import _common  # noqa: F401  (import path, TF logging)

from deepclust_ref import contract as C
from deepclust_ref import crosscheck as X
from deepclust_ref import dist as D
from deepclust_ref import registry as R
from deepclust_ref import train as T

PACKAGE = os.path.dirname(os.path.abspath(R.__file__))
# The modules that may write the models' names: the registry and the contract's list.
NAME_LISTS = ("registry.py", "contract.py")
# Term names that are common words (vc_posterior's "entropy" is its own result key).
# Names every model may write: the loss, its commonest terms, and the augmentation loss's terms
# (dist.AUG_TERMS, one shared part).
COMMON = {"loss", "reconstruction", "logits", "entropy"} | set(D.AUG_TERMS)


def sources():
    """{file name: source} of every module of the package."""
    out = {}
    for name in sorted(os.listdir(PACKAGE)):
        if name.endswith(".py"):
            with open(os.path.join(PACKAGE, name), encoding="utf-8") as f:
                out[name] = f.read()
    return out


def literals(source):
    """Every string constant of a module's source (docstrings whole, f-string parts apart)."""
    return {n.value for n in ast.walk(ast.parse(source))
            if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def module_file(spec):
    return os.path.basename(sys.modules[spec.model.__module__].__file__)


def named_models(source):
    """The models a module's source names: as a string constant, or by its module's MODEL
    (imported, or read as `module.MODEL`)."""
    modules = {module_file(s)[:-len(".py")]: s.name for s in R.REGISTRY.values()}
    names = literals(source) & set(R.REGISTRY)
    for n in ast.walk(ast.parse(source)):
        if isinstance(n, ast.ImportFrom) and n.module in modules \
                and any(a.name == "MODEL" for a in n.names):
            names.add(modules[n.module])
        if isinstance(n, ast.Attribute) and n.attr == "MODEL" and isinstance(n.value, ast.Name) \
                and n.value.id in modules:
            names.add(modules[n.value.id])
    return names


def name_lists(files):
    """The files (of {name: source}) that name three or more of the models."""
    return sorted(f for f, src in files.items() if len(named_models(src)) >= 3)


def misplaced_terms(files):
    """(file, term) for each of a model's term names (not a common word) written in a file that
    is not the module of a model having that term."""
    owners = {}
    for s in R.REGISTRY.values():
        for t in set(s.terms + s.training_outputs) - COMMON:
            owners.setdefault(t, set()).add(module_file(s))
    return sorted((f, t) for f, src in files.items() for t in literals(src) & set(owners)
                  if f not in owners[t])


class RegistryTest(unittest.TestCase):
    def test_names_are_the_contracts_in_its_order(self):
        self.assertEqual(list(R.REGISTRY), [m for m in C.MODELS if m != C.MODEL_GENERIC])
        for name, s in R.REGISTRY.items():
            self.assertEqual((s.name, s.model.model_name), (name, name))
            self.assertEqual(sys.modules[s.model.__module__].MODEL, name)

    def test_an_unknown_name_is_a_value_error_naming_it_and_the_known_ones(self):
        with self.assertRaises(ValueError) as e:
            R.spec("nope")
        for name in ["'nope'"] + list(R.REGISTRY):
            self.assertIn(name, str(e.exception))
        self.assertIs(R.spec("vab"), R.REGISTRY["vab"])

    def test_each_config_builds_round_trips_and_takes_the_tiny_overrides(self):
        for name, s in R.REGISTRY.items():
            with self.subTest(name):
                c = s.default_config(3)
                self.assertIsInstance(c, s.config)
                self.assertEqual(c.seed, 3)
                self.assertEqual(s.config.from_json(c.to_json()), c)
                tiny = dataclasses.replace(c, **s.tiny)
                s.model(tiny)
                if s.pretraining:
                    self.assertGreaterEqual(getattr(c, s.pretraining).epochs, 0)

    def test_terms_start_with_the_loss_and_the_cross_check_records_them(self):
        for name, s in R.REGISTRY.items():
            with self.subTest(name):
                self.assertEqual(s.terms[0], "loss")
                self.assertEqual(s.training_outputs[:len(s.terms)], s.terms)

    def test_trainer_reference_and_hooks_are_there(self):
        for name, s in R.REGISTRY.items():
            with self.subTest(name):
                config = dataclasses.replace(s.default_config(3), **s.tiny)
                training = T.build(name, config)
                self.assertIsInstance(training, getattr(T, s.training))
                self.assertTrue(hasattr(getattr(training, s.main_step), "get_concrete_function"))
                self.assertEqual(training.phases()[-1].term_names, s.terms)
                self.assertTrue(callable(getattr(X, s.reference)))
                if s.manifest_extras:
                    self.assertIsInstance(getattr(X, s.manifest_extras)(config), dict)
                self.assertLessEqual(set(s.init_not_from_seed), set(training.model.params.all))

    def test_signatures_follow_the_model_class(self):
        got = {n: (s.signatures, s.prior_has_stddev) for n, s in R.REGISTRY.items()}
        self.assertEqual(got, {"vade": ((), True), "gmvae_gumbel": ((), True),
                               "vc": ((C.SIG_PRIOR_MIX,), True), "kdvae": ((), True),
                               "vab": (C.VAB_SIGNATURES, False)})


class OnePlaceTest(unittest.TestCase):
    def test_only_the_registry_and_the_contract_list_the_models(self):
        found = name_lists(sources())
        self.assertIn("contract.py", found)  # the search sees the contract's list
        self.assertEqual([f for f in found if f not in NAME_LISTS], [])

    def test_each_models_term_names_are_written_in_its_module_only(self):
        self.assertEqual(misplaced_terms(sources()), [])

    def test_the_searches_find_what_they_look_for(self):
        files = {"a.py": 'M = ("vade", "vc", "kdvae")\n',
                 "b.py": '"""Lists "vade", "vc" and "kdvae" in a docstring."""\nX = "vab"\n',
                 "d.py": 'from .vade import MODEL as A\nfrom .vc import MODEL\nB = kdvae.MODEL\n',
                 "c.py": 'T = ("loss", "log_p_z", "latent_kl")\nE = f"{1}entropy_c"\n',
                 "vab.py": 'T = ("loss", "log_p_z")\n'}
        self.assertEqual(name_lists(files), ["a.py", "d.py"])
        self.assertEqual(misplaced_terms(files), [("c.py", "entropy_c"), ("c.py", "latent_kl"),
                                                  ("c.py", "log_p_z")])


if __name__ == "__main__":
    unittest.main()
