"""Installing a .taco where Tableau loads connectors from, after checking that Tableau will load it.

The folders (Tableau's documentation): Desktop and Prep Builder load from
``Documents/My Tableau Repository/Connectors`` (``My Tableau Prep Repository``
for Prep) in the user's home on Windows and macOS; Tableau Server from
``C:\\Program Files\\Tableau\\Connectors`` on Windows and
``/opt/tableau/connectors`` on Linux. Between two tacos of one class Tableau
loads the newer version (the first found on a tie), so an older or equal
version of the class is replaced, and a newer one is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from connector_packager.archive.input_file import read_input
from connector_packager.errors import PackagerError, UsageProblem
from connector_packager.signing.truststore import TrustStore
from connector_packager.signing.verify import Verification
from connector_packager.versions import version_key

PRODUCTS = ("desktop", "prep", "server")
#: The launch option that makes Tableau Desktop and Prep Builder load unsigned or untrusted connectors.
UNSIGNED_OPTION = "-DDisableVerifyConnectorPluginSignature=true"
_REPOSITORY = {"desktop": "My Tableau Repository", "prep": "My Tableau Prep Repository"}


def default_product(platform: str) -> str:
    """Tableau Server is the only Tableau product on Linux; Desktop elsewhere."""
    return "server" if platform.startswith("linux") else "desktop"


def install_folder(product: str, platform: str, env: Mapping[str, str]) -> Path:
    """Where ``product`` loads connectors from on ``platform`` (``sys.platform``), in the environment ``env``."""
    windows = platform.startswith(("win", "cygwin"))
    if product == "server":
        if windows:
            return Path(env.get("ProgramFiles") or "C:\\Program Files") / "Tableau" / "Connectors"
        if platform == "darwin":
            raise UsageProblem("Tableau Server does not run on macOS", hint="pass --dest DIR for another folder")
        return Path("/opt/tableau/connectors")
    if not windows and platform != "darwin":
        raise UsageProblem(
            f"Tableau Desktop and Prep Builder do not run on {platform}",
            hint="pass --for server (Tableau Server on Linux) or --dest DIR",
        )
    variable = "USERPROFILE" if windows else "HOME"
    home = env.get(variable)
    if not home:
        raise UsageProblem(f"{variable} is not set, so the home folder is unknown", hint="pass --dest DIR")
    return Path(home) / "Documents" / _REPOSITORY[product] / "Connectors"


@dataclass
class Installed:
    """What an install did (or, with dry_run, would do)."""

    target: Path
    class_name: str
    version: str
    verification: Verification
    replaced: list[tuple[Path, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    created_folder: bool = False
    unchanged: bool = False


def install_taco(
    taco: Path, folder: Path, trust: TrustStore, *, allow_unsigned: bool = False, dry_run: bool = False
) -> Installed:
    """Copy ``taco`` into ``folder`` atomically once it is verified against ``trust``; replace older or equal
    versions of its class found there, and warn about newer ones. Refuses a taco Tableau would refuse unless
    ``allow_unsigned``."""
    from connector_packager.archive.atomic_write import write_file
    from connector_packager.signing.verify import verify_taco
    from connector_packager.taco_info import connector_identity

    data = read_input(taco)
    class_name, version = connector_identity(data, str(taco))
    verification = verify_taco(taco, trust.certificates)
    verification.truststore = trust.source
    if not verification.ok and not allow_unsigned:
        raise PackagerError(
            f"not installed: {verification.verdict}",
            hint=f"sign it (connector-packager sign), or while developing pass --allow-unsigned and "
            f"start Tableau with {UNSIGNED_OPTION}",
        )
    if folder.exists() and not folder.is_dir():
        raise UsageProblem(f"the install folder {folder} is a file")
    target = folder / taco.name
    result = Installed(target, class_name, version, verification, created_folder=not folder.exists())
    if not verification.ok:
        result.warnings.append(
            f"Tableau will refuse it ({verification.problems[0].message}) unless started with {UNSIGNED_OPTION}"
        )
    if target.exists() and target.resolve() == taco.resolve():
        result.unchanged = True
        return result
    for other in sorted(folder.glob("*.taco")) if folder.is_dir() else []:
        try:
            other_class, other_version = connector_identity(read_input(other), str(other))
        except PackagerError:
            continue  # not a connector Tableau would register either
        if other_class != class_name:
            continue
        if other == target or _version(other_version) <= _version(version):
            result.replaced.append((other, other_version))
        else:
            result.warnings.append(
                f"{other.name} holds version {other_version} of the class {class_name}, newer "
                f"than {version}: Tableau loads that one instead; remove it to use this one"
            )
    if dry_run:
        return result
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageProblem(f"cannot create the install folder {folder}: {exc.strerror or exc}") from None
    write_file(target, data)
    for old, _ in result.replaced:
        if old != target:
            try:
                old.unlink()
            except OSError as exc:
                result.warnings.append(
                    f"could not remove {old}: {exc.strerror or exc}; Tableau loads only one of the two"
                )
    return result


def _version(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    try:
        return version_key(text)
    except ValueError:
        return ((0,), ())
