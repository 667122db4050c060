"""Python reference of deepclust-tfj's models (TF 2.18), mirroring the Java graphs file for file.

graphs/.../Params.java        -> params.py
graphs/.../layers/*.java      -> layers.py (Dense, BatchNorm, Conv2d)
graphs/.../dist/*.java        -> dist.py
graphs/.../train/AdamStep.java-> adam_step.py
graphs/.../models/GmvaeGumbel*.java -> gmvae_gumbel.py
VaDE, k-DVAE (docs/models.md)       -> vade.py, kdvae.py
graphs/.../models/VariationalClustering.java, VcConfig.java -> vc.py
graphs/.../models/Vab.java, VabConfig.java -> vab.py
training/.../data/Affine.java (rotation only) -> augment.py
savedmodels/.../*Export.java  -> export.py
inference/.../Contract.java   -> contract.py

The models are listed once, in registry.py (a model is its module plus one line there); the
trainer, the cross-check, check_export and perf_worker look them up there.
"""
