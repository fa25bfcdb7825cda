"""Translated titles and descriptions: providers, HTML safety, translation memory, the service.

Translator(provider, memory, source_lang=..., ...).translate(fields, ["de", "en"]) -> TranslationRun
"""

from connector.translation.detect import SourceLanguageCheck
from connector.translation.glossary import Glossary
from connector.translation.html_safety import UnsafeTranslation
from connector.translation.human import HumanFileError, HumanTranslations
from connector.translation.memory import TranslationMemory
from connector.translation.providers import DeepLProvider, LibreTranslateProvider, Provider, ProviderError
from connector.translation.service import FieldSource, FieldTranslation, Outcome, TranslationRun, Translator

__all__ = [
    "DeepLProvider",
    "FieldSource",
    "FieldTranslation",
    "Glossary",
    "HumanFileError",
    "HumanTranslations",
    "LibreTranslateProvider",
    "Outcome",
    "Provider",
    "ProviderError",
    "SourceLanguageCheck",
    "TranslationMemory",
    "TranslationRun",
    "Translator",
    "UnsafeTranslation",
]
