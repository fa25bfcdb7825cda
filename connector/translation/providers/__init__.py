"""Machine-translation providers behind one interface (`base.Provider`)."""

from connector.translation.providers.base import Provider, ProviderError
from connector.translation.providers.deepl import DeepLProvider
from connector.translation.providers.libretranslate import LibreTranslateProvider

__all__ = ["DeepLProvider", "LibreTranslateProvider", "Provider", "ProviderError"]
