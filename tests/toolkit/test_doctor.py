"""`mnx doctor`: the machine report, its JSON round trip, its place in results provenance."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from mnx.toolkit.doctor import MachineReport, cpu_flags, doctor, isa_features
from support.fakes import tensorrt as fake_trt
from support.fakes.cuda_bindings import FakeCuda

CPUINFO = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse2 avx2 avx512f avx512bw avx512_vnni avx512_bf16 amx_bf16 amx_int8 amx_tile
"""


def test_cpu_features_that_matter_for_int8(tmp_path: Path) -> None:
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    model, flags = cpu_flags(tmp_path / "cpuinfo")
    assert model == "Intel(R) Xeon(R) Platinum 8480+"
    assert isa_features(flags) == (
        "AVX2", "AVX-512F", "AVX-512BW", "AVX-512 VNNI", "AVX-512 BF16", "AMX-INT8", "AMX-BF16"
    )  # fmt: skip
    assert isa_features({"avx2"}) == ("AVX2",)
    assert cpu_flags(tmp_path / "absent")[1] == set()


def test_report_with_a_gpu_and_tensorrt(monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "cpuinfo").write_text(CPUINFO)
    cuda = FakeCuda(gpu_name="NVIDIA H200", compute_capability=(9, 0), driver_version=13000,
                    runtime_version=13000)  # fmt: skip
    fake_trt.install(monkeypatch, fake_trt.V11, cuda)
    report = doctor(cheap=True, cpuinfo=tmp_path / "cpuinfo")
    by = {c.name: c for c in report.checks}
    assert by["GPU"].usable and "NVIDIA H200 (sm 9.0" in by["GPU"].found
    assert by["CUDA runtime"].usable and "CUDA 13.0" in by["CUDA runtime"].found
    assert by["TensorRT"].usable and by["TensorRT"].found.startswith("11.4.0.106")
    assert by["INT8 on CPU"].usable and "AMX-INT8" in by["INT8 on CPU"].found
    assert by["ONNX Runtime"].usable and "CPUExecutionProvider" in by["ONNX Runtime"].found
    again = MachineReport.from_dict(json.loads(json.dumps(report.to_dict())))
    assert again == report
    assert "usable" in report.render() and "NVIDIA H200" in report.render()


def test_an_old_driver_is_missing_with_the_fix(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    fake_trt.install(
        monkeypatch, fake_trt.V11, FakeCuda(driver_version=12040, runtime_version=13000)
    )
    by = {c.name: c for c in doctor(cheap=True).checks}
    assert not by["GPU"].usable and not by["TensorRT"].usable
    assert not by["NVIDIA driver"].usable and "580.65.06" in (by["NVIDIA driver"].fix or "")


def test_results_provenance_carries_the_report() -> None:
    from mnx.bench.records import Provenance

    machine = doctor(cheap=True)
    prov = Provenance("t", "0", {}, None, None, None, (), None, machine=machine)
    back = Provenance.from_dict(json.loads(json.dumps(prov.to_dict())))
    assert back.machine == machine
    old = {k: v for k, v in prov.to_dict().items() if k != "machine"}
    assert Provenance.from_dict(old).machine is None  # results saved before it still load


def test_cheap_report_imports_no_tensorflow_or_openvino() -> None:
    code = (
        "import sys; from mnx.toolkit.doctor import doctor; doctor(cheap=True); "
        "print(sorted(m for m in ('tensorflow', 'keras', 'openvino') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_doctor_command_prints_json(capsys) -> None:  # type: ignore[no-untyped-def]
    from mnx.cli import main

    assert main(["doctor", "--json", "--cheap"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {c["name"] for c in data["checks"]} >= {"GPU", "TensorRT", "ONNX Runtime", "Keras"}
