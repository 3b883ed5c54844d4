"""The plugin host: finds providers through entry points, lazily.

* Providers are entry points in the group ``ileti.providers``; the name is
  the provider id. Listing them reads metadata only; a provider's module is
  imported when it is first asked for.
* A plugin that fails to import is reported with its name and error
  (:class:`BrokenPlugin`) and does not break the others.
* ``ILETI_DISABLE_PLUGINS`` (comma separated names) blocks providers and
  extensions by name.
* Extensions (group ``ileti.extensions``) are registered in every client's
  plugin manager, so their hook wrappers surround every call.
* Each client gets its own :class:`pluggy.PluginManager` with exactly one
  provider in it: routing is by construction.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable
from importlib.metadata import EntryPoint, entry_points
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from ileti import hookspecs
from ileti.errors import ConfigurationError, IletiError, NotSupported
from ileti.hookspecs import CAPABILITIES, OPTIONAL, PROJECT

if TYPE_CHECKING:
    from ileti.emulation import EmulatorBase, VirtualClock
    from ileti.plugin import ProviderInfo

__all__ = [
    "EXTENSION_GROUP",
    "PROVIDER_GROUP",
    "BrokenPlugin",
    "LoadedProvider",
    "ProviderEntry",
    "available_providers",
    "load_provider",
    "provider_info",
]

PROVIDER_GROUP = "ileti.providers"
EXTENSION_GROUP = "ileti.extensions"
DISABLE_ENV = "ILETI_DISABLE_PLUGINS"


def disabled() -> frozenset[str]:
    raw = os.environ.get(DISABLE_ENV, "")
    return frozenset(n.strip() for n in raw.split(",") if n.strip())


@attrs.frozen
class ProviderEntry:
    """An installed provider, known from metadata only (nothing imported)."""

    name: str
    distribution: str | None
    version: str | None
    entry_point: EntryPoint = attrs.field(repr=False, eq=False)


@attrs.frozen
class BrokenPlugin:
    """A provider that could not be loaded, and why."""

    name: str
    distribution: str | None
    error: str


def _provider_entry_points() -> dict[str, EntryPoint]:
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=PROVIDER_GROUP):
        found.setdefault(ep.name, ep)
    return found


def available_providers() -> list[ProviderEntry]:
    """Installed, not disabled providers, by name. Imports no plugin."""
    blocked = disabled()
    out = []
    for name, ep in sorted(_provider_entry_points().items()):
        if name in blocked:
            continue
        dist = ep.dist
        out.append(
            ProviderEntry(
                name=name,
                distribution=dist.name if dist else None,
                version=dist.version if dist else None,
                entry_point=ep,
            )
        )
    return out


@attrs.frozen
class LoadedProvider:
    """A provider's plugin object, its info and the hooks it implements."""

    name: str
    plugin: Any = attrs.field(repr=False)
    info: ProviderInfo[Any]
    capabilities: frozenset[str]
    distribution: str | None = None
    version: str | None = None

    def has(self, capability: str) -> bool:
        return capability in self.capabilities

    def implements(self, hook: str) -> bool:
        """A capability, or an optional hook such as ``parse_push``."""
        return hook in self.capabilities or (hook in OPTIONAL and _implements(self.plugin, hook))

    def require(self, capability: str) -> None:
        if not self.implements(capability):
            known = CAPABILITIES + OPTIONAL
            offered = ", ".join(c for c in known if self.implements(c)) or "nothing"
            raise NotSupported(
                f"provider {self.name!r} does not support {capability!r} (it offers: {offered})",
                provider=self.name,
                capability=capability,
            )

    @property
    def has_emulator(self) -> bool:
        return _implements(self.plugin, "provider_emulator")

    def emulator(self, clock: VirtualClock | None = None) -> EmulatorBase:
        """A new instance of the provider's emulator on ``clock`` (a new
        :class:`~ileti.emulation.VirtualClock` when none), through its
        ``provider_emulator`` hook: the one way the suite, ``ileti emulate``,
        the demo and :mod:`ileti.testing` get one. Raises ``NotSupported``
        when the plugin ships none."""
        from ileti.emulation import EmulatorBase, VirtualClock

        self.require_emulator()
        pm = new_manager()
        pm.register(self.plugin, name=self.name)
        made = pm.hook.provider_emulator(clock=clock if clock is not None else VirtualClock())
        if not isinstance(made, EmulatorBase):
            raise TypeError(
                f"{self.name}'s provider_emulator hook returned {type(made).__name__}, not an "
                "instance of an ileti.emulation.EmulatorBase subclass"
            )
        return made

    def require_emulator(self) -> None:
        """``NotSupported`` unless the plugin ships an emulator."""
        if not self.has_emulator:
            raise NotSupported(
                f"provider {self.name!r} ships no emulator",
                provider=self.name,
                capability="emulator",
            )


def _implements(plugin: Any, hook: str) -> bool:
    """Whether a plugin object has a (non-wrapper) hookimpl for ``hook``."""
    fn = getattr(plugin, hook, None)
    if fn is None:
        return False
    opts = getattr(fn, PROJECT + "_impl", None)
    return opts is not None and not opts.get("wrapper") and not opts.get("hookwrapper")


def new_manager() -> pluggy.PluginManager:
    pm = pluggy.PluginManager(PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def inspect_plugin(name: str, plugin: Any) -> LoadedProvider:
    """Read a plugin object's info and capabilities, checking its hookimpls."""
    pm = new_manager()
    pm.register(plugin, name=name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ConfigurationError(
            f"provider plugin {name!r} is broken: {exc}", provider=name
        ) from None
    if not _implements(plugin, "provider_info"):
        raise ConfigurationError(
            f"provider plugin {name!r} does not implement provider_info", provider=name
        )
    info = pm.hook.provider_info()
    _check_api(name, info)
    caps = frozenset(c for c in CAPABILITIES if _implements(plugin, c))
    return LoadedProvider(name=name, plugin=plugin, info=info, capabilities=caps)


def _check_api(name: str, info: Any) -> None:
    """Refuse a plugin written for a plugin API this core does not provide."""
    from ileti.plugin import OLDEST_PLUGIN_API, PLUGIN_API

    api = getattr(info, "api", 1)
    if isinstance(api, bool) or not isinstance(api, int):
        raise ConfigurationError(
            f"provider plugin {name!r} declares plugin API {api!r}: ProviderInfo.api is a "
            f"whole number ({PLUGIN_API} for this ileti)",
            provider=name,
        )
    if api > PLUGIN_API:
        raise ConfigurationError(
            f"provider plugin {name!r} needs plugin API {api}, and this ileti provides "
            f"{PLUGIN_API}: upgrade ileti",
            provider=name,
        )
    if api < OLDEST_PLUGIN_API:
        raise ConfigurationError(
            f"provider plugin {name!r} was written for plugin API {api}, which this ileti "
            f"no longer loads (oldest: {OLDEST_PLUGIN_API}): upgrade the plugin",
            provider=name,
        )


#: providers built into the core, found without an entry point: id -> the
#: function (module, name) returning the plugin object
BUILTIN: dict[str, tuple[str, str]] = {"outbox": ("ileti.testing", "default_outbox")}


@functools.cache
def _load_cached(name: str) -> LoadedProvider:
    eps = _provider_entry_points()
    ep = eps.get(name)
    if ep is None and name in BUILTIN:
        import importlib

        module, function = BUILTIN[name]
        return inspect_plugin(name, getattr(importlib.import_module(module), function)())
    if ep is None:
        import difflib

        installed = sorted(n for n in eps if n not in disabled())
        known = ", ".join(installed) or "none"
        close = difflib.get_close_matches(name.lower(), installed, n=1, cutoff=0.75)
        # never "pip install ileti-<what was typed>": a typo names a package that
        # does not exist, and that anyone could register
        advice = (
            f"did you mean {close[0]!r}?"
            if close
            else "install the plugin distribution that provides it (the provider pages "
            "of the documentation name ours)"
        )
        raise ConfigurationError(
            f"no provider named {name!r} is installed (installed: {known}); {advice}",
            setting="provider",
        )
    try:
        plugin = ep.load()
    except Exception as exc:
        raise ConfigurationError(
            f"provider plugin {name!r} failed to load: {type(exc).__name__}: {exc}",
            setting="provider",
            provider=name,
        ) from exc
    loaded = inspect_plugin(name, plugin)
    dist = ep.dist
    return attrs.evolve(
        loaded,
        distribution=dist.name if dist else None,
        version=dist.version if dist else None,
    )


def load_provider(name: str) -> LoadedProvider:
    """Import one provider (and only that one) by its id."""
    if name in disabled():
        raise ConfigurationError(
            f"provider {name!r} is disabled by {DISABLE_ENV}", setting="provider", provider=name
        )
    return _load_cached(name)


def provider_info(name: str) -> ProviderInfo[Any]:
    """The :class:`ileti.plugin.ProviderInfo` of an installed provider."""
    return load_provider(name).info


def load_all() -> tuple[list[LoadedProvider], list[BrokenPlugin]]:
    """Load every installed provider; broken ones are reported, not raised."""
    good: list[LoadedProvider] = []
    broken: list[BrokenPlugin] = []
    for entry in available_providers():
        try:
            good.append(load_provider(entry.name))
        except IletiError as exc:
            broken.append(BrokenPlugin(entry.name, entry.distribution, exc.message))
    return good, broken


@functools.cache
def _extensions() -> tuple[tuple[str, Any], ...]:
    blocked = disabled()
    found = []
    for ep in entry_points(group=EXTENSION_GROUP):
        if ep.name in blocked:
            continue
        found.append((ep.name, ep.load()))
    return tuple(found)


def build_manager(provider: LoadedProvider, extensions: Iterable[Any] = ()) -> pluggy.PluginManager:
    """A plugin manager holding one provider plus every extension."""
    pm = new_manager()
    pm.register(provider.plugin, name=provider.name)
    for ext_name, ext in _extensions():
        pm.register(ext, name=f"extension:{ext_name}")
    for i, ext in enumerate(extensions):
        pm.register(ext, name=f"extension:{i}:{type(ext).__name__}")
    pm.check_pending()
    return pm


def clear_caches() -> None:
    """Forget loaded plugins (for tests that install or block plugins)."""
    _load_cached.cache_clear()
    _extensions.cache_clear()
