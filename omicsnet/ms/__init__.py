"""Raw mass spectrometry shared by the LC-MS families; it knows no models.

* :mod:`~omicsnet.ms.mzml`: safe, fast mzML/mzXML reading (``read_ms_run``);
* :mod:`~omicsnet.ms.binning`: RT × m/z matrices, presets and cached batch conversion;
* :mod:`~omicsnet.ms.arrays`: ``.npy``/``.npz``/mzML inputs joined to labels, augmentations;
* :mod:`~omicsnet.ms.feature_tables`: the one MZmine/XCMS feature-table reader;
* :mod:`~omicsnet.ms.whitelist`: m/z whitelists from known compounds;
* :mod:`~omicsnet.ms.synthetic`: generated mzML runs and cohorts with planted peaks.
"""
