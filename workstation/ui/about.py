"""The About box: version, Qt/PySide/Python versions, and where the user's data lives.

Support asks for exactly these when an agent reports a problem, so everything here can be
selected and copied in one click.
"""
from __future__ import annotations

import platform

import PySide6
from PySide6.QtCore import QCoreApplication, Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFormLayout, QLabel, QPushButton,
                               QVBoxLayout, QWidget)

from workstation.userdirs import data_dir, log_dir
from workstation.version import __version__



def about_info() -> dict[str, str]:

    return {
        "version": __version__,
        "qt": qVersion(),
        "pyside": PySide6.__version__,
        "python": f"{platform.python_version()} ({platform.architecture()[0]})",
        "os": platform.platform(),
        "data_dir": str(data_dir()),
        "log_dir": str(log_dir()),
    }


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(QCoreApplication.translate("AboutDialog", "About Workstation"))
        self.info = about_info()
        layout = QVBoxLayout(self)
        title = QLabel(f"<h2>Workstation {self.info['version']}</h2>")
        title.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(title)
        layout.addWidget(QLabel(QCoreApplication.translate("AboutDialog", "Customer-service workstation for online shops.")))

        form = QFormLayout()
        self.version_label = self._value(self.info["version"])
        form.addRow(QCoreApplication.translate("AboutDialog", "Version:"), self.version_label)
        form.addRow(QCoreApplication.translate("AboutDialog", "Qt:"), self._value(f"{self.info['qt']} (PySide6 {self.info['pyside']})"))
        form.addRow(QCoreApplication.translate("AboutDialog", "Python:"), self._value(self.info["python"]))
        form.addRow(QCoreApplication.translate("AboutDialog", "System:"), self._value(self.info["os"]))
        self.data_dir_label = self._folder(self.info["data_dir"])
        self.log_dir_label = self._folder(self.info["log_dir"])
        form.addRow(QCoreApplication.translate("AboutDialog", "Data folder:"), self.data_dir_label)
        form.addRow(QCoreApplication.translate("AboutDialog", "Log folder:"), self.log_dir_label)
        layout.addLayout(form)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton(QCoreApplication.translate("AboutDialog", "Copy details"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_details)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)

    def _value(self, text: str) -> QLabel:
        label = QLabel(text)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _folder(self, path: str) -> QLabel:
        label = QLabel(f'<a href="{QUrl.fromLocalFile(path).toString()}">{path}</a>')
        label.setTextFormat(Qt.TextFormat.RichText)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        label.linkActivated.connect(lambda url: QDesktopServices.openUrl(QUrl(url)))
        return label

    def details_text(self) -> str:
        i = self.info
        return (f"Workstation {i['version']}\nQt {i['qt']} / PySide6 {i['pyside']}\n"
                f"Python {i['python']}\n{i['os']}\nData: {i['data_dir']}\nLogs: {i['log_dir']}\n")

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())


def show_about(parent: QWidget | None = None) -> AboutDialog:
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog
